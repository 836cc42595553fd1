// Which visitor turns are requests: the first meaningful visitor turn of each conversation (not a
// greeting or a bare detail such as a name, an e-mail or an order number), and later visitor turns
// that open a new topic: long enough, not the answer to a question the agent or bot just asked, and
// unlike every earlier request of the conversation. Each request keeps what the agents replied to
// it (until the visitor's next request): the answers mined for its cluster, and context for its
// representation.
import { wordsOf } from './text-features.ts';

export type Role = 'visitor' | 'agent' | 'bot';

export interface LoggedMessage {
  id?: string;
  role: Role;
  text: string;
}

export interface LoggedConversation {
  id: string;
  language?: string | null;
  messages: readonly LoggedMessage[];
}

export interface DiscoveryRequest {
  /** The message id, else `<conversation>:<position>`. */
  id: string;
  conversationId: string;
  text: string;
  language: string | null;
  /** Agents' replies after the request, before the visitor's next request. */
  replies: string[];
  /** Everything said after the request in its topic (replies and the visitor's follow-ups). */
  context: string[];
  /** Whether it is the conversation's first request. */
  first: boolean;
}

export interface RequestSelection {
  /** Fewest words (CJK characters count as words) of a meaningful request. */
  minWords?: number;
  /** Fewest words of a later turn that opens a new topic. */
  minNewTopicWords?: number;
  /** Highest word overlap (Jaccard) with an earlier request for a later turn to be a new topic. */
  maxOverlap?: number;
  /** Later requests per conversation at most (0: first requests only). */
  maxLaterRequests?: number;
}

const DEFAULTS: Required<RequestSelection> = { minWords: 4, minNewTopicWords: 6, maxOverlap: 0.2, maxLaterRequests: 2 };

// Turns that are details, not requests: an e-mail address, a number, an order id alone.
const DETAIL = /^[\s\p{P}]*(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[#\d\s().+-]{3,}|[A-Z]{1,4}-?\d[\w-]*)[\s\p{P}]*$/u;
// Greetings and thanks that carry no request, in the catalogue's languages.
const SMALL_TALK = /^(?:hi|hello|hey|hallo|hola|bonjour|good (?:morning|afternoon|evening)|guten (?:tag|morgen|abend)|thanks?(?: you)?(?: so much| very much)?|thank you|danke(?: schön)?|merci|gracias|ok(?:ay)?|yes|no|ja|nein|sure|great|bye|goodbye|tschüss|你好|谢谢|好的)\b[\s\p{P}]*(?:there|again|everyone)?[\s\p{P}]*$/iu;

function meaningful(text: string, minWords: number): boolean {
  const trimmed = text.trim();
  if (trimmed === '' || DETAIL.test(trimmed) || SMALL_TALK.test(trimmed)) return false;
  return wordsOf(trimmed).length >= minWords;
}

function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

const asksQuestion = (text: string) => /[?？]\s*$/.test(text.trim()) || /[?？]/.test(text.slice(-80));

/** The requests of one conversation, in order. */
export function requestsOf(conversation: LoggedConversation, options: RequestSelection = {}): DiscoveryRequest[] {
  const settings = { ...DEFAULTS, ...options };
  const requests: Array<DiscoveryRequest & { words: Set<string> }> = [];
  const messages = conversation.messages;
  for (let position = 0; position < messages.length; position++) {
    const message = messages[position]!;
    if (message.role !== 'visitor') {
      const current = requests.at(-1);
      if (current) {
        current.context.push(message.text);
        if (message.role === 'agent') current.replies.push(message.text);
      }
      continue;
    }
    const words = new Set(wordsOf(message.text));
    let isRequest = false;
    if (requests.length === 0) isRequest = meaningful(message.text, settings.minWords);
    else if (requests.length <= settings.maxLaterRequests) {
      const previous = messages[position - 1];
      const answersQuestion = previous !== undefined && previous.role !== 'visitor' && asksQuestion(previous.text);
      isRequest =
        !answersQuestion &&
        meaningful(message.text, settings.minNewTopicWords) &&
        requests.every((request) => overlap(words, request.words) <= settings.maxOverlap) &&
        // A new topic is announced by the visitor, not the continuation of the agent's replies to the first one.
        requests.at(-1)!.replies.length > 0;
    }
    if (isRequest) {
      requests.push({
        id: message.id ?? `${conversation.id}:${position}`,
        conversationId: conversation.id,
        text: message.text.trim(),
        language: conversation.language ?? null,
        replies: [],
        context: [],
        first: requests.length === 0,
        words,
      });
    } else requests.at(-1)?.context.push(message.text);
  }
  return requests.map(({ words: _words, ...request }) => request);
}

/** The requests of every conversation. */
export function selectRequests(conversations: Iterable<LoggedConversation>, options: RequestSelection = {}): DiscoveryRequest[] {
  const out: DiscoveryRequest[] = [];
  for (const conversation of conversations) out.push(...requestsOf(conversation, options));
  return out;
}
