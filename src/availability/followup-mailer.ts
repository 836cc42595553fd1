import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../observability/logger.ts';
import type { AvailabilityStore } from '../store/availability-store.ts';

export interface SmtpSettings {
  /** SMTP_URL: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`. */
  url: string;
  /** SMTP_FROM: the sender, e.g. `Support <support@example.com>`. */
  from: string;
}

const SUBJECTS: Record<string, string> = {
  en: 'Our reply to your support conversation',
  de: 'Unsere Antwort auf Ihre Support-Anfrage',
  zh: '我们对你的客服咨询的回复',
  fr: 'Notre réponse à votre demande',
  es: 'Nuestra respuesta a tu consulta',
};

const SIGNED: Record<string, string> = {
  en: 'Reply in the chat on our website to continue the conversation.',
  de: 'Antworten Sie im Chat auf unserer Website, um das Gespräch fortzusetzen.',
  zh: '如需继续对话，请在我们网站的聊天窗口中回复。',
  fr: 'Répondez dans le chat de notre site pour poursuivre la conversation.',
  es: 'Responde en el chat de nuestra web para continuar la conversación.',
};

/**
 * E-mails an agent's reply to the address the visitor left for the offline follow-up (SMTP through
 * nodemailer). A failure is logged, never thrown: the reply is in the conversation either way.
 */
export class FollowupMailer {
  private readonly transport: Transporter;

  constructor(private readonly settings: SmtpSettings, private readonly store: AvailabilityStore, private readonly logger: Logger) {
    this.transport = nodemailer.createTransport(settings.url);
  }

  /** Sends the reply when the conversation has a follow-up address; returns whether a mail went out. */
  async agentReplied(reply: { conversationId: string; text: string }, agentName: string): Promise<boolean> {
    try {
      const address = await this.store.followupAddress(reply.conversationId);
      if (!address) return false;
      const language = (address.language ?? 'en').slice(0, 2).toLowerCase();
      await this.transport.sendMail({
        from: this.settings.from,
        to: address.email,
        subject: SUBJECTS[language] ?? SUBJECTS.en!,
        text: `${reply.text}\n\n— ${agentName}\n\n${SIGNED[language] ?? SIGNED.en!}\n`,
      });
      this.logger.info({ conversationId: reply.conversationId }, 'agent reply e-mailed to the visitor');
      return true;
    } catch (error) {
      this.logger.warn({ err: error, conversationId: reply.conversationId }, 'e-mailing an agent reply failed');
      return false;
    }
  }

  close(): void {
    this.transport.close();
  }
}
