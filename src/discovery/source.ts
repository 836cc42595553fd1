// Visitors' requests from the conversations in Postgres (imported logs and the bot's own), for
// `frontdesk discover` and the console: read a batch of conversations at a time, keep only the
// requests (requests.ts) with a bounded part of what followed them, and filter by language (the
// conversation's, else the request's own as the `eld` detector reads it).
import { eld } from 'eld/extrasmall';
import type { PrismaClient } from '../store/prisma.ts';
import { conversationsForDiscovery, countConversationsForDiscovery } from '../store/discovery-store.ts';
import { requestsOf, type DiscoveryRequest, type RequestSelection } from './requests.ts';

/** Characters kept of each reply and of a request's context: bounded memory for any log. */
const MAX_REPLY_CHARS = 600;
const MAX_CONTEXT_CHARS = 1500;
const MAX_REPLIES = 4;

const HAN = /\p{Script=Han}/u;

/** The primary language subtag of a text (`en`, `de`, `zh`), or null when unsure. */
export function requestLanguage(text: string): string | null {
  if (HAN.test(text)) return 'zh';
  const result = eld.detect(text);
  return result.language ? result.language : null;
}

export interface RequestsFromDatabaseOptions extends RequestSelection {
  /** Most conversations read. */
  limit?: number;
  /** Keep only requests in these languages (primary subtags). */
  languages?: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

export async function requestsFromDatabase(prisma: PrismaClient, options: RequestsFromDatabaseOptions = {}): Promise<DiscoveryRequest[]> {
  const total = Math.min(options.limit ?? Infinity, await countConversationsForDiscovery(prisma));
  const wanted = options.languages?.map((language) => language.toLowerCase().split('-')[0]!);
  const out: DiscoveryRequest[] = [];
  let done = 0;
  options.onProgress?.(0, total);
  for await (const batch of conversationsForDiscovery(prisma, options.limit === undefined ? {} : { limit: options.limit })) {
    for (const conversation of batch) {
      for (const request of requestsOf(conversation, options)) {
        const language = (request.language ?? requestLanguage(request.text))?.toLowerCase().split('-')[0] ?? null;
        if (wanted && (!language || !wanted.includes(language))) continue;
        let context = 0;
        out.push({
          ...request,
          language,
          replies: request.replies.slice(0, MAX_REPLIES).map((reply) => reply.slice(0, MAX_REPLY_CHARS)),
          context: request.context.filter((text) => (context += text.length) <= MAX_CONTEXT_CHARS),
        });
      }
    }
    done += batch.length;
    options.onProgress?.(done, total);
  }
  return out;
}
