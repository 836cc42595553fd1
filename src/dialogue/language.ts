/**
 * Which language the bot answers a visitor in. Chat messages are short, and language identification
 * on short text is unreliable (franc-min read "Où est ma commande ?" as Portuguese), so the
 * detector only chooses among the languages the bot speaks, and a detection that is not reliable
 * counts only when nothing better is known.
 *
 * Detector: `eld` (Efficient Language Detector), its "extrasmall" n-gram database (about 87 MB of
 * memory; "small" takes 150 MB, "large" 390 MB). Measured on 100 short shopper messages in
 * en/de/fr/es/zh, restricted to those five, with the Han-script rule: eld extrasmall 96%, small 98%,
 * large 99%, tinyld 88%, franc-min 84% (test/dialogue/language.test.ts keeps the set).
 */
import { eld } from 'eld/extrasmall';

export interface Detection {
  language: string;
  /** The detector's own verdict: enough distinctive n-grams and a clear winner. */
  reliable: boolean;
}

export type LanguageSource = 'client' | 'text' | 'conversation' | 'default';

export interface LanguageChoice {
  language: string;
  source: LanguageSource;
}

const HAN = /\p{Script=Han}/u;
const KANA_OR_HANGUL = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * The language of `text` among `candidates` (primary subtags such as `en`, `zh`), or null when the
 * text says nothing (numbers, emoji, a word every candidate shares). Chinese is told by its script:
 * Han characters without kana or hangul.
 */
export function detectLanguage(text: string, candidates: readonly string[]): Detection | null {
  if (candidates.includes('zh') && HAN.test(text) && !KANA_OR_HANGUL.test(text)) return { language: 'zh', reliable: true };
  // Scores of every language, filtered here: a language subset would be state on the shared detector.
  const result = eld.detect(text);
  const scores = result.getScores();
  let best: string | null = null;
  for (const language of candidates) {
    if (language !== 'zh' && (scores[language] ?? 0) > (best === null ? 0 : scores[best]!)) best = language;
  }
  if (best === null) return null;
  return { language: best, reliable: result.isReliable() && result.language === best };
}

export interface LanguageEvidence {
  /** What the client sent (the widget sends the browser's language). */
  sent?: string | undefined;
  /** The message being answered. */
  text: string;
  /** The languages the bot speaks; the first is the default. */
  supported: readonly string[];
  /** The conversation's earlier visitor messages, oldest first; read only when needed. */
  earlierTexts: () => Promise<readonly string[]>;
}

/**
 * The language to answer in: the one the client sent; else this message's language when the
 * detector is sure of it (a visitor may greet with "hi" and then write in Chinese); else the
 * language of the conversation's earlier messages together (more text, a surer guess); else this
 * message's unsure guess; else the default.
 */
export async function chooseLanguage(evidence: LanguageEvidence): Promise<LanguageChoice> {
  if (evidence.sent) return { language: evidence.sent, source: 'client' };
  const own = detectLanguage(evidence.text, evidence.supported);
  if (own?.reliable) return { language: own.language, source: 'text' };
  const earlier = await evidence.earlierTexts();
  const conversation = earlier.length > 0 ? detectLanguage(earlier.join('\n'), evidence.supported) : null;
  if (conversation) return { language: conversation.language, source: 'conversation' };
  if (own) return { language: own.language, source: 'text' };
  return { language: evidence.supported[0] ?? 'en', source: 'default' };
}
