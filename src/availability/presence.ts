import type { Logger } from '../observability/logger.ts';
import { PRESENCE_HEARTBEAT_MS, type DeskAvailability } from './desk.ts';

/**
 * Agents' presence as the `/agent` namespace reports it: a console connection opens (available,
 * unless the agent's other consoles say away), the agent sets available or away, a connection
 * closes (the agent is away when their last one closes). Rows live in Postgres, so every process
 * counts every agent; a heartbeat keeps this process's rows fresh, and rows of a process that died
 * go stale and stop counting.
 */
export class AgentPresence {
  private readonly sockets = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly desk: DeskAvailability, private readonly logger: Logger, heartbeatMs = PRESENCE_HEARTBEAT_MS) {
    this.timer = setInterval(() => void this.beat(), heartbeatMs);
    this.timer.unref();
  }

  /** A console connected; returns whether its agent is available. */
  async connected(socketId: string, agentId: string): Promise<boolean> {
    this.sockets.add(socketId);
    return this.desk.store.connect(socketId, agentId, this.desk.staleBefore());
  }

  async disconnected(socketId: string): Promise<void> {
    this.sockets.delete(socketId);
    await this.desk.store.disconnect(socketId).catch((error: unknown) => this.logger.warn({ err: error }, 'removing an agent connection failed'));
  }

  /** The agent set themselves available or away (in every open console). */
  async set(agentId: string, available: boolean): Promise<boolean> {
    await this.desk.store.setAvailable(agentId, available);
    this.logger.info({ agentId, available }, 'agent availability changed');
    return available;
  }

  /** Stops the heartbeat and removes this process's rows (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.sockets].map((id) => this.disconnected(id)));
  }

  private async beat(): Promise<void> {
    try {
      await this.desk.store.touch([...this.sockets]);
      await this.desk.store.removeStale(this.desk.staleBefore());
    } catch (error) {
      this.logger.warn({ err: error }, 'agent presence heartbeat failed');
    }
  }
}
