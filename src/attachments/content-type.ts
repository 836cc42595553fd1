/**
 * What a file is, from its first bytes (magic numbers), never from its name or the type the sender
 * claimed: PNG, JPEG, GIF, WebP and PDF, nothing else. An HTML page named `cat.png` is refused.
 */
export interface CheckedType {
  contentType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'application/pdf';
  extension: 'png' | 'jpg' | 'gif' | 'webp' | 'pdf';
  /** Images are shown inline; a PDF is downloaded. */
  image: boolean;
}

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, index) => bytes[offset + index] === byte);
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

export function checkContentType(bytes: Uint8Array): CheckedType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { contentType: 'image/png', extension: 'png', image: true };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg', extension: 'jpg', image: true };
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return { contentType: 'image/gif', extension: 'gif', image: true };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { contentType: 'image/webp', extension: 'webp', image: true };
  if (startsWith(bytes, ascii('%PDF-'))) return { contentType: 'application/pdf', extension: 'pdf', image: false };
  return null;
}

/** A file name safe to show and to put in Content-Disposition: no path, no control characters, the checked extension. */
export function safeFileName(given: string | undefined, type: CheckedType): string {
  let name = (given ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  name = name.replace(/[\p{Cc}\p{Cf}"]/gu, '').trim().slice(0, 120);
  const stem = name.replace(/\.[^.]*$/, '') || 'attachment';
  return `${stem}.${type.extension}`;
}
