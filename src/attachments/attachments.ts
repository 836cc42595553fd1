import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PrismaClient } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import { ProtocolError } from '../protocol/errors.ts';
import type { BlobStore } from './blob-store.ts';
import { checkContentType, safeFileName } from './content-type.ts';

export interface AttachmentView {
  id: string;
  conversationId: string;
  /** Who sent it. */
  role: 'visitor' | 'agent';
  agent: { id: string; name: string } | null;
  fileName: string;
  /** As checked from the content, never as claimed. */
  contentType: string;
  size: number;
  /** Images are shown inline, a PDF is a download link. */
  image: boolean;
  /** A signed path (`/attachments/<id>?exp=…&sig=…`), valid for `URL_TTL_MS`; fetched again with the transcript or history. */
  url: string;
  createdAt: string;
}

export interface AttachmentEvents {
  /** A file was attached: agents watching and the visitor's connections are told. */
  added: [attachment: AttachmentView];
}

interface AttachmentRow {
  id: string;
  conversationId: string;
  role: 'visitor' | 'agent';
  agentId: string | null;
  agentName: string | null;
  fileName: string;
  contentType: string;
  size: number;
  blobKey: string;
  createdAt: Date;
}

/** How long a signed attachment URL is valid. */
export const URL_TTL_MS = 60 * 60 * 1000;

/**
 * Files visitors and agents send: images (PNG, JPEG, GIF, WebP) and PDFs, their type checked from
 * their content, at most `maxBytes`. The rows are "Attachment", the bytes are in a BlobStore.
 * Attachments are not messages: training, reports and the bot never read them.
 */
export class Attachments extends EventEmitter<AttachmentEvents> {
  private readonly now: () => number;

  constructor(
    private readonly options: { prisma: PrismaClient; blobs: BlobStore; secret: string; maxBytes: number; now?: () => number },
  ) {
    super();
    this.now = options.now ?? Date.now;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Checks and stores a file sent in a conversation; refusals: ATTACHMENT_TOO_LARGE, ATTACHMENT_TYPE_REFUSED, UNKNOWN_CONVERSATION. */
  async add(input: { conversationId: string; role: 'visitor' | 'agent'; agent: { id: string; name: string } | null; fileName?: string | undefined; bytes: Buffer }): Promise<AttachmentView> {
    const { bytes } = input;
    if (bytes.length > this.options.maxBytes) throw tooLarge(this.options.maxBytes);
    if (bytes.length === 0) throw new ProtocolError('INVALID_PAYLOAD', 'The file is empty.');
    const type = checkContentType(bytes);
    if (!type) throw new ProtocolError('ATTACHMENT_TYPE_REFUSED', 'Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent; this file is none of them.');
    const id = randomUUID();
    const blobKey = `attachments/${input.conversationId}/${id}`;
    const fileName = safeFileName(input.fileName, type);
    await this.options.blobs.put(blobKey, bytes, type.contentType);
    let row: AttachmentRow | undefined;
    try {
      row = await guarded(() =>
        this.options.prisma.$transaction(async (tx) => {
          // Locked: an erasure running now finishes first, and then this conversation takes nothing more.
          const [conversation] = await tx.$queryRaw<Array<{ erasedAt: Date | null }>>`
            SELECT "erasedAt" FROM "Conversation" WHERE id = ${input.conversationId}::uuid FOR UPDATE`;
          if (!conversation || conversation.erasedAt) return undefined;
          const [inserted] = await tx.$queryRaw<AttachmentRow[]>`
            INSERT INTO "Attachment" (id, "conversationId", role, "agentId", "fileName", "contentType", size, "blobKey")
            VALUES (${id}::uuid, ${input.conversationId}::uuid, ${input.role}::"MessageRole", ${input.agent?.id ?? null}::uuid, ${fileName}, ${type.contentType}, ${bytes.length}, ${blobKey})
            RETURNING id::text, "conversationId"::text AS "conversationId", role::text AS role, "agentId"::text AS "agentId", NULL AS "agentName",
              "fileName", "contentType", size, "blobKey", "createdAt"`;
          await tx.$executeRaw`UPDATE "Conversation" SET "updatedAt" = now() WHERE id = ${input.conversationId}::uuid`;
          return inserted;
        }),
      );
    } finally {
      if (!row) await this.options.blobs.delete([blobKey]).catch(() => {});
    }
    if (!row) throw new ProtocolError('UNKNOWN_CONVERSATION', 'No such conversation.');
    const view = this.toView({ ...row, agentName: input.agent?.name ?? null });
    this.emit('added', view);
    return view;
  }

  /** The conversation's attachments, oldest first, with fresh signed URLs. */
  async list(conversationId: string): Promise<AttachmentView[]> {
    const rows = await guarded(() =>
      this.options.prisma.$queryRaw<AttachmentRow[]>`
        SELECT t.id::text, t."conversationId"::text AS "conversationId", t.role::text AS role, t."agentId"::text AS "agentId", a.name AS "agentName",
          t."fileName", t."contentType", t.size, t."blobKey", t."createdAt"
        FROM "Attachment" t LEFT JOIN "Agent" a ON a.id = t."agentId"
        WHERE t."conversationId" = ${conversationId}::uuid ORDER BY t."createdAt", t.id`,
    );
    return rows.map((row) => this.toView(row));
  }

  /** The file behind a signed URL; null when the signature is wrong or expired, or the file is gone (erased). */
  async open(id: string, expires: string, signature: string): Promise<{ fileName: string; contentType: string; image: boolean; bytes: Buffer } | null> {
    if (!/^[0-9a-f-]{36}$/.test(id) || !/^\d{1,15}$/.test(expires) || Number(expires) < this.now()) return null;
    const expected = Buffer.from(this.sign(id, expires));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const [row] = await guarded(() =>
      this.options.prisma.$queryRaw<Array<{ fileName: string; contentType: string; blobKey: string }>>`
        SELECT "fileName", "contentType", "blobKey" FROM "Attachment" WHERE id = ${id}::uuid`,
    );
    if (!row) return null;
    const bytes = await this.options.blobs.get(row.blobKey);
    if (!bytes) return null;
    return { fileName: row.fileName, contentType: row.contentType, image: row.contentType.startsWith('image/'), bytes };
  }

  /** Whether the visitor (by id and token generation) may read and write this conversation: theirs, not erased. */
  async visitorOwns(conversationId: string, visitorId: string, generation: number): Promise<boolean> {
    const rows = await guarded(() =>
      this.options.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT c.id::text FROM "Conversation" c JOIN "Visitor" v ON v.id = c."visitorId"
        WHERE c.id = ${conversationId}::uuid AND v.id = ${visitorId}::uuid AND v."tokenGeneration" = ${generation} AND c."erasedAt" IS NULL AND v."erasedAt" IS NULL`,
    );
    return rows.length > 0;
  }

  private toView(row: AttachmentRow): AttachmentView {
    const expires = String(this.now() + URL_TTL_MS);
    return {
      id: row.id,
      conversationId: row.conversationId,
      role: row.role,
      agent: row.agentId ? { id: row.agentId, name: row.agentName ?? '' } : null,
      fileName: row.fileName,
      contentType: row.contentType,
      size: Number(row.size),
      image: row.contentType.startsWith('image/'),
      url: `/attachments/${row.id}?exp=${expires}&sig=${this.sign(row.id, expires)}`,
      createdAt: new Date(row.createdAt).toISOString(),
    };
  }

  private sign(id: string, expires: string): string {
    return createHmac('sha256', this.options.secret).update(`attachment:${id}:${expires}`).digest('base64url');
  }
}

export function tooLarge(maxBytes: number): ProtocolError {
  return new ProtocolError('ATTACHMENT_TOO_LARGE', `The file is larger than ${formatBytes(maxBytes)}, the most that can be sent.`);
}

function formatBytes(bytes: number): string {
  return bytes >= 1_048_576 ? `${Math.round((bytes / 1_048_576) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}
