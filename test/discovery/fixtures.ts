// A small support log for discovery tests: three topics the starter catalogue does not have (gift
// wrapping, loyalty points, a broken zipper), each asked in several wordings, with the agents'
// replies, some of which carry personal details that must never reach a mined answer.
import type { LoggedConversation } from '../../src/discovery/requests.ts';

export const TOPICS = {
  gift_wrap: {
    requests: [
      'can you gift wrap my order please',
      'is gift wrapping available for my purchase',
      'I would like my parcel gift wrapped',
      'do you offer gift wrapping for presents',
      'please wrap the items as a gift',
      'how much does gift wrapping cost',
      'can the order be sent gift wrapped with a card',
      'I need gift wrap on this order for a birthday',
      'add gift wrapping to my order',
      'wrap it as a present please, it is a gift',
      'gift wrap option for my order?',
      'could you put wrapping paper on my gift order',
    ],
    replies: [
      'We gift wrap any order for $5: tick Gift wrap in the cart at /cart before you pay. Write to me at anna.smith@example.com or call +1 415 555 0123 if it is missing.',
      'Gift wrapping costs $5 per order, choose Gift wrap at /cart before paying. My card on file 4111 1111 1111 1111 was used as a test, ignore it.',
      'We gift wrap any order for $5: tick Gift wrap in the cart at /cart before you pay.',
    ],
  },
  loyalty: {
    requests: [
      'how many loyalty points do I have',
      'where can I see my reward points balance',
      'my loyalty points were not added after my purchase',
      'how do I redeem my reward points',
      'can I use loyalty points to pay for shipping',
      'when do my loyalty points expire',
      'I did not get bonus points for my last order',
      'check my rewards points please',
      'what is my points balance in the rewards program',
      'how do reward points work in your loyalty program',
    ],
    replies: [
      'Your loyalty points are listed under Rewards in your account, one point per dollar spent, and they can be redeemed at checkout.',
      'Points show up under Rewards in your account within 24 hours of delivery; you can redeem them at checkout. Call me back on (415) 555-0199.',
    ],
  },
  zipper: {
    requests: [
      'the zipper on my new jacket broke after one day',
      'my backpack zipper is broken, can I get a repair',
      'zip on the bag came off, what can I do',
      'the jacket zip is stuck and will not close',
      'broken zipper on the suitcase I bought from you',
      'zipper teeth came apart on my coat',
      'can you fix a broken zip on my hoodie',
      'the zip pull snapped off my jacket',
    ],
    replies: [
      'Sorry about the zipper! Send us a photo through /account/returns within 30 days and we replace the item for free.',
      'A broken zip is covered: open a return at /account/returns with a photo and we send a replacement at no cost.',
    ],
  },
} as const;

/** `copies` conversations per request wording: greeting, request, agent reply, thanks. */
export function fixtureConversations(copies = 2): LoggedConversation[] {
  const conversations: LoggedConversation[] = [];
  let n = 0;
  for (const [topic, { requests, replies }] of Object.entries(TOPICS)) {
    requests.forEach((request, index) => {
      for (let copy = 0; copy < copies; copy++) {
        n++;
        conversations.push({
          id: `${topic}-${index}-${copy}`,
          language: 'en',
          messages: [
            { role: 'visitor', text: copy % 2 === 0 ? 'hi' : 'hello there' },
            { role: 'agent', text: 'Hello, how can I help you today?' },
            { role: 'visitor', text: request },
            { role: 'agent', text: replies[(index + copy) % replies.length]! },
            { role: 'visitor', text: n % 3 === 0 ? 'thanks' : 'ok great, thank you' },
          ],
        });
      }
    });
  }
  return conversations;
}
