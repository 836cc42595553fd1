import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The value of `intent` for a bot reply without one of the catalogue's intents. */
const OTHER_INTENT = 'other';

/** The Prometheus metrics of one server process, served at /metrics. */
export class Metrics {
  readonly registry = new Registry();

  /** Visitor message committed → bot reply committed, in seconds. */
  readonly replyLatency = new Histogram({
    name: 'frontdesk_reply_latency_seconds',
    help: 'Time from a committed visitor message to its committed bot reply',
    labelNames: ['source'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly replies = new Counter({
    name: 'frontdesk_replies_total',
    help: 'Bot replies by source (intent, retrieval, clarify, handoff)',
    labelNames: ['source'],
    registers: [this.registry],
  });

  readonly requests = new Counter({
    name: 'frontdesk_chat_requests_total',
    help: 'Visitor requests by event and outcome (ok, or the error code)',
    labelNames: ['event', 'outcome'],
    registers: [this.registry],
  });

  readonly inferenceBatchSize = new Histogram({
    name: 'frontdesk_inference_batch_size',
    help: 'Messages per ONNX Runtime run',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });

  readonly databaseBatchSize = new Histogram({
    name: 'frontdesk_database_batch_size',
    help: 'Calls per multi-row statement of the chat hot path (concurrent calls share one)',
    labelNames: ['statement'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });

  readonly inferenceDuration = new Histogram({
    name: 'frontdesk_inference_duration_seconds',
    help: 'Duration of one ONNX Runtime run',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
    registers: [this.registry],
  });

  readonly modelInfo = new Gauge({
    name: 'frontdesk_model_info',
    help: 'The intent model version in service and its execution provider (value 1)',
    labelNames: ['version', 'execution_provider'],
    registers: [this.registry],
  });

  readonly connectedVisitors = new Gauge({
    name: 'frontdesk_connected_visitors',
    help: 'Open visitor sockets on this process',
    registers: [this.registry],
  });

  readonly actionCalls = new Counter({
    name: 'frontdesk_action_calls_total',
    help: 'Action webhook calls by action and outcome (ok, or the failure reason: timeout, http_error, invalid_response, breaker_open, network, not_configured)',
    labelNames: ['action', 'outcome'],
    registers: [this.registry],
  });

  readonly actionDuration = new Histogram({
    name: 'frontdesk_action_duration_seconds',
    help: 'Duration of an action call, retries included',
    labelNames: ['action'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly actionBreakerState = new Gauge({
    name: 'frontdesk_action_breaker_state',
    help: "State of an action's circuit breaker: 0 closed, 1 half-open (one trial call), 2 open (calls fail at once)",
    labelNames: ['action'],
    registers: [this.registry],
  });

  /** Bot replies by intent; the label set is bounded: the catalogue's intents (`setIntents`) and `other`. */
  readonly repliesByIntent = new Counter({
    name: 'frontdesk_replies_by_intent_total',
    help: "Bot replies by intent: one of the catalogue's, or other (a fallback without an intent, or an intent the catalogue no longer has)",
    labelNames: ['intent'],
    registers: [this.registry],
  });

  readonly agentReplies = new Counter({
    name: 'frontdesk_agent_replies_total',
    help: "Agents' messages to visitors",
    registers: [this.registry],
  });

  readonly csatScores = new Histogram({
    name: 'frontdesk_csat_score',
    help: 'End-of-chat satisfaction scores (1 to 5) that visitors gave',
    buckets: [1, 2, 3, 4, 5],
    registers: [this.registry],
  });

  private intents = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'frontdesk_process_' });
  }

  /** The catalogue's intents: the values of `intent` on frontdesk_replies_by_intent_total besides `other`, each shown from 0. */
  setIntents(names: readonly string[]): void {
    this.intents = new Set(names);
    for (const intent of [...names, OTHER_INTENT]) this.repliesByIntent.inc({ intent }, 0);
  }

  /** A reply stored for a visitor: the bot's, by intent, or an agent's. */
  countReply(reply: { role: string; intent: string | null }): void {
    if (reply.role === 'agent') this.agentReplies.inc();
    else if (reply.role === 'bot') this.repliesByIntent.inc({ intent: reply.intent !== null && this.intents.has(reply.intent) ? reply.intent : OTHER_INTENT });
  }

  setModel(version: string, executionProvider: string): void {
    this.modelInfo.reset();
    this.modelInfo.set({ version, execution_provider: executionProvider }, 1);
  }
}
