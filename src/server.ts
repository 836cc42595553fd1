import { join } from 'node:path';
import { Server as SocketServer } from 'socket.io';
import type { Config } from './config/config.ts';
import type { Logger } from './observability/logger.ts';
import { openDatabase, type DatabaseHandle } from './store/database.ts';
import { applyMigrations } from './store/migrate.ts';
import { closeDatabase, createPrismaClient, type PrismaClient } from './store/prisma.ts';
import { startSearchIndexUpkeep } from './store/search-index.ts';
import { ChatStore, type BatchedStatement } from './store/chat-store.ts';
import { sharedSecret } from './store/secrets.ts';
import { LiveCatalogue } from './catalogue/live.ts';
import { isKnowledgePath } from './catalogue/folder.ts';
import { CatalogueStore } from './store/catalogue-store.ts';
import { ModelRegistry } from './models/registry.ts';
import { ActiveModel } from './models/active-model.ts';
import { ModelFiles } from './models/model-files.ts';
import { Metrics } from './observability/metrics.ts';
import { ensureActiveModel } from './models/bootstrap.ts';
import { currentTrainingSet, knowledgeTexts } from './corpus/training-set.ts';
import { DialogueService } from './dialogue/service.ts';
import { KnowledgeFallback } from './dialogue/knowledge-fallback.ts';
import { KnowledgeStore } from './store/knowledge-store.ts';
import { createHttpServer } from './gateway/http.ts';
import { attachChatNamespace } from './gateway/chat-namespace.ts';
import { proxyTrust, resolveSocketAddresses } from './gateway/client-address.ts';
import { maxFrameBytes } from './gateway/protocol.ts';
import { VisitorTokens } from './gateway/visitor-token.ts';
import { corsOrigin, originAllowed } from './gateway/origins.ts';
import { registerAgentApi } from './gateway/agent-api.ts';
import { registerDiscoveryApi } from './gateway/discovery-api.ts';
import { registerCatalogueApi } from './gateway/catalogue-api.ts';
import { previewAnswer } from './dialogue/preview.ts';
import { DiscoveryReview } from './discovery/review.ts';
import { retrain } from './models/retrain.ts';
import { attachAgentNamespace } from './gateway/agent-namespace.ts';
import { createAgentServices } from './agents/services.ts';
import { ConversationEvents } from './dialogue/conversation-events.ts';
import { VisitorChat } from './dialogue/visitor-chat.ts';
import { customerTokenVerifier } from './identity/customer-token.ts';
import { registerStaticRoutes } from './gateway/static.ts';
import { attachScaleOut, resolveScaleOut } from './gateway/scale-out.ts';
import { startRetrainScheduler } from './models/scheduler.ts';
import { ActionClient } from './actions/client.ts';
import { mountReferenceShop } from './shop/webhook.ts';
import { assertPortFree, explainListenError, runWithinBudget } from './lifecycle.ts';
import { followErasures } from './privacy/data-rights.ts';
import { startRetention } from './privacy/retention.ts';
import { DeskAvailability, startLongWaitSweeper } from './availability/desk.ts';
import { AgentPresence } from './availability/presence.ts';
import { FollowupMailer } from './availability/followup-mailer.ts';
import { disconnectVisitor } from './gateway/visitor-delivery.ts';
import { registerAgentToolsRoutes } from './gateway/agent-tools-api.ts';
import { attachTypingIndicators } from './gateway/typing.ts';
import { AgentTools } from './agents/agent-tools.ts';
import { Attachments } from './attachments/attachments.ts';
import { PostgresBlobStore } from './attachments/blob-store.ts';

/** After the grace period, how long releasing sockets, pools and the model may take before shutdown moves on. */
const RELEASE_BUDGET_MS = 3_000;

export interface RunningServer {
  url: string;
  port: number;
  /** The actions' webhooks, the reference shop's included. */
  actions: ActionClient;
  close(): Promise<void>;
}

/** Wires every part together and starts listening. The one place that knows all the pieces. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  let database: DatabaseHandle | null = null;
  let prisma: PrismaClient | null = null;
  let activeModel: ActiveModel | null = null;
  let knowledge: KnowledgeFallback | null = null;
  let erasures: { close(): Promise<void> } | null = null;
  let liveCatalogue: LiveCatalogue | null = null;
  try {
    // A taken port is reported now, not after the database is set up and the model trained.
    await assertPortFree(config.host, config.port);
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    await applyMigrations(database.url, logger);
    prisma = createPrismaClient(database.url, config.databasePoolSize, config.databaseTimeoutMs);
    const db = prisma;
    const metrics = new Metrics();
    const onBatch = (statement: BatchedStatement, size: number) => metrics.databaseBatchSize.observe({ statement }, size);
    const store = new ChatStore(db, { onBatch });
    const tokens = new VisitorTokens(config.secretKey ?? (await sharedSecret(db, 'visitor-token')), { ttlDays: config.visitorTokenTtlDays });

    // The catalogue in Postgres (seeded from INTENTS_DIR when empty), followed live: a change saved by
    // any process replaces it here (below); every part reads it through a getter.
    const live = await LiveCatalogue.open({ store: new CatalogueStore(db), seedDir: config.intentsDir, logger: logger.child({ component: 'catalogue' }) });
    liveCatalogue = live;
    let catalogue = live.catalogue;
    const registry = new ModelRegistry(db);
    // Versions from before artifacts moved to Postgres, whose files are on this machine.
    await registry.importLegacyArtifacts(logger);
    await ensureActiveModel({
      examples: () => currentTrainingSet(db, catalogue),
      unlabelled: () => knowledgeTexts(live.knowledge().markdown),
      registry,
      dataDir: config.dataDir,
      logger,
    });
    const model = new ActiveModel(registry, new ModelFiles(registry.artifacts, config.dataDir, logger), logger, {
      onRun: (run) => {
        metrics.inferenceBatchSize.observe(run.batchSize);
        metrics.inferenceDuration.observe(run.durationMs / 1000);
      },
    });
    model.onSwitch((version, loaded) => metrics.setModel(version.name, loaded.executionProvider));
    activeModel = model;
    const fallback = new KnowledgeFallback({
      knowledge: new KnowledgeStore(db),
      chats: store,
      documents: () => live.knowledge(),
      indexDir: join(config.dataDir, 'index'),
      currentEncoder: () => (model.encoderId ? { id: model.encoderId, embed: (texts) => model.embed(texts) } : null),
      logger: logger.child({ component: 'knowledge' }),
      targetPrecision: config.retrievalTargetPrecision,
    });
    knowledge = fallback;
    await model.followPromotions(database.url);
    // Listening before the first build: a review decision made meanwhile is applied after it.
    await fallback.followReviews(database.url);
    await fallback.refresh();
    // After a promotion, replies keep flowing (without retrieval) while the index is re-embedded.
    model.onSwitch(() => void fallback.refresh().catch((error: unknown) => logger.error({ err: error }, 'rebuilding the knowledge index failed')));
    // A catalogue change saved by any process: answers change at once; changed knowledge documents
    // are re-chunked and only their new chunks embedded and indexed.
    live.onChange((changed) => {
      catalogue = live.catalogue;
      metrics.setIntents(catalogue.intents.map((intent) => intent.name));
      if (changed.some(isKnowledgePath)) void fallback.refresh().catch((error: unknown) => logger.error({ err: error }, 'rebuilding the knowledge index failed'));
    });
    await live.follow(database.url);

    let shuttingDown = false;
    const isShuttingDown = () => shuttingDown;
    const trustProxy = proxyTrust(config.trustProxy);
    const http = await createHttpServer({
      logger,
      metrics,
      metricsToken: config.metricsToken,
      trustProxy,
      isShuttingDown,
      readiness: [
        { name: 'database', check: async () => (await db.$queryRaw`SELECT 1`, true) },
        { name: 'model', check: async () => model.versionId !== null },
      ],
    });
    await registerStaticRoutes(http, { allowedOrigins: config.allowedOrigins });
    const actions = new ActionClient(config.actions, { breaker: config.actionBreaker, logger: logger.child({ component: 'actions' }), metrics });
    const referenceShop = config.referenceShop ? await mountReferenceShop(http, db, logger.child({ component: 'shop' })) : null;
    const io = new SocketServer(http.server, {
      // Every connection may send this much before proving anything: the largest legal message, no more.
      maxHttpBufferSize: maxFrameBytes(config.maxMessageChars),
      allowRequest: (request, callback) => callback(null, originAllowed(request, config.allowedOrigins)),
      cors: { origin: corsOrigin(config.allowedOrigins) },
    });
    resolveSocketAddresses(io, trustProxy);
    // Before any namespace is set up: rooms and events shared with other processes on this Postgres.
    const scaleOut = await attachScaleOut(io, { mode: resolveScaleOut(config.scaleOut, config.databaseUrl), databaseUrl: database.url, logger });
    // What happens in conversations, from whoever made it happen to whoever must hear of it.
    const events = new ConversationEvents();
    // Replies by intent (the catalogue's, else `other`) and agents' replies, for /metrics.
    metrics.setIntents(catalogue.intents.map((intent) => intent.name));
    events.on('replied', (reply) => metrics.countReply(reply));
    const agentLogger = logger.child({ component: 'agents' });
    const agents = createAgentServices({
      prisma: db,
      logger: agentLogger,
      events,
      intents: () => catalogue.intents,
      maxMessageChars: config.maxMessageChars,
      actions: { client: actions, catalogue: () => catalogue },
    });
    // When the desk is staffed, agents' presence, the offline follow-up by e-mail (src/availability).
    const desk = new DeskAvailability({ prisma: db, hours: config.businessHours, onBatch });
    const presence = new AgentPresence(desk, agentLogger.child({ component: 'presence' }));
    const mailer = config.smtp ? new FollowupMailer(config.smtp, desk.store, logger.child({ component: 'followup-mail' })) : null;
    if (mailer) events.on('replied', (reply, agentName) => void (agentName !== null && mailer.agentReplied(reply, agentName)));
    attachAgentNamespace(io, { presence, workspace: agents.workspace, auth: agents.auth, actionRunner: agents.actionRunner, logger: agentLogger });
    await registerAgentApi(http, agents, agentLogger);
    // Agents' tools (README, "Agents' tools"): canned replies, internal notes, attachments, typing indicators.
    await registerAgentToolsRoutes(http, {
      io,
      auth: agents.auth,
      workspace: agents.workspace,
      tools: new AgentTools(db, config.maxMessageChars),
      attachments: new Attachments({ prisma: db, blobs: new PostgresBlobStore(db), secret: config.secretKey ?? (await sharedSecret(db, 'attachment-url')), maxBytes: config.attachmentMaxBytes }),
      tokens,
      allowedOrigins: config.allowedOrigins,
      logger: agentLogger,
    });
    attachTypingIndicators(io);
    const dialogue = new DialogueService({
      store,
      catalogue: () => catalogue,
      classifier: () => model,
      retrieval: () => fallback,
      actions,
      policy: { clarificationsBeforeHandoff: config.clarificationsBeforeHandoff, suggestions: config.suggestions },
      logger,
      onReplied: (source, seconds) => {
        metrics.replies.inc({ source });
        metrics.replyLatency.observe({ source }, seconds);
      },
      onAnswered: (outcome) => void agents.workspace.observeAnswer(outcome),
      events,
      availability: desk,
    });
    const longWaits = config.handoffWaitOfflineMs === null ? null : startLongWaitSweeper({ desk, waitMs: config.handoffWaitOfflineMs, offer: (id) => dialogue.offerOffline(id), logger });

    // A resolved conversation's agent answers are stored redacted for reuse review (docs/retrieval.md).
    events.on('resolved', (conversationId) => {
      fallback.harvestConversation(conversationId).catch((error: unknown) => logger.error({ err: error, conversationId }, 'harvesting agent answers failed'));
    });
    attachChatNamespace(io.of('/chat'), {
      chat: new VisitorChat(store, events),
      dialogue,
      events,
      tokens,
      verifyCustomerToken: config.customerTokens && customerTokenVerifier(config.customerTokens),
      logger: logger.child({ component: 'chat' }),
      maxMessageChars: config.maxMessageChars,
      messagesPerSecond: config.messagesPerSecond,
      messageBurst: config.messageBurst,
      isShuttingDown,
      metrics,
    });

    // A visitor erased by any process or CLI loses their connections here too (their tokens are revoked already).
    erasures = await followErasures({ databaseUrl: database.url, logger, onErased: (visitorId) => disconnectVisitor(io.of('/chat'), visitorId) });
    const erasureListener = erasures;
    // RETENTION_DAYS: expired conversations are erased every hour, in small batches, by one process at a time.
    const retention = startRetention(config.retentionDays, { prisma: db, databaseUrl: database.url, logger: logger.child({ component: 'retention' }) });
    // Transcript search's new words are merged into its index in the background, not by a visitor's insert.
    const searchIndex = startSearchIndexUpkeep(db, logger.child({ component: 'search-index' }));

    // Periodic retraining in a worker thread, gated before promotion (docs/learning-loop.md).
    const retrainOptions = {
      prisma: db, databaseUrl: database.url, registry, dataDir: config.dataDir, logger: logger.child({ component: 'retrain' }), margin: config.promotionMargin,
      // Getters: each turn spreads these options and so trains on the catalogue as it is then.
      get catalogue() {
        return catalogue;
      },
      get knowledgeDocuments() {
        return live.knowledge().markdown;
      },
    };
    const retraining = startRetrainScheduler(config.retrainSchedule, retrainOptions);

    // Intent discovery and its review (admins, the console's Discover tab): an accepted intent is
    // saved to the catalogue, which every process reloads, and a gated retraining starts.
    const discoveryAbort = new AbortController();
    // A gated retraining on demand (an accepted discovery, the catalogue editor's button), on the catalogue as it is then.
    const retrainNow = async (trigger: string) => {
      const result = await retrain({ ...retrainOptions, trigger, signal: discoveryAbort.signal });
      return { promoted: result.promoted, version: result.version.name, decision: result.report?.decision, reasons: result.report?.reasons };
    };
    const discovery = new DiscoveryReview({
      prisma: db,
      logger: logger.child({ component: 'discovery' }),
      catalogue: () => catalogue,
      editor: live,
      retrain: () => retrainNow('discovery'),
    });
    await registerDiscoveryApi(http, { auth: agents.auth, review: discovery, logger: logger.child({ component: 'discovery' }) });
    // The catalogue editor (admins, the console's Catalogue tab): changes reach every process through the live catalogue.
    await registerCatalogueApi(http, {
      auth: agents.auth,
      live,
      preview: (input) => previewAnswer({ ...input, classifier: model, retrieval: fallback, settings: { clarificationsBeforeHandoff: config.clarificationsBeforeHandoff, suggestions: config.suggestions } }),
      activeModel: () => (model.version ? { name: model.version.name, trainedAt: model.version.createdAt } : null),
      retrain: () => retrainNow('console'),
      logger: logger.child({ component: 'catalogue' }),
    });

    await http.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
      throw explainListenError(error, config.host, config.port);
    });
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    // The reference shop's webhook is on this server's port, known only now.
    referenceShop?.defineActions(actions, url);
    logger.info({ url, modelVersion: model.version?.name, embeddedDatabase: database.embedded }, 'frontdesk is serving');

    const runningDatabase = database;
    return {
      url,
      port,
      actions,
      close: async () => {
        shuttingDown = true;
        // Stop taking connections, let acknowledged messages get their replies within the grace period,
        // release resources within a few seconds more (a dead database must not hold any step), and
        // stop the database in any case.
        await runWithinBudget([
          ['retraining', () => retraining.stop()],
          ['discovery', () => {
            discoveryAbort.abort();
            return discovery.close();
          }],
          ['retention', () => retention.stop()],
          ['search index upkeep', () => searchIndex.stop()],
          ['long waits', async () => longWaits?.stop()],
          ['in-flight replies', () => dialogue.drain()],
        ], config.shutdownGraceMs, logger);
        await runWithinBudget([
          ['sockets', () => {
            io.disconnectSockets(true);
            return new Promise<void>((resolve) => io.close(() => resolve()));
          }],
          ['agent presence', () => presence.close()],
          ['scale-out', () => scaleOut.close()],
          ['follow-up mail', async () => mailer?.close()],
          ['erasure listener', () => erasureListener.close()],
          ['http', () => http.close()],
          ['actions', async () => actions.close()],
          ['knowledge index', () => fallback.close()],
          ['catalogue', () => live.close()],
          ['model', () => model.close()],
          ['database pool', () => closeDatabase(db)],
        ], RELEASE_BUDGET_MS, logger);
        await runningDatabase.stop();
        logger.info('frontdesk stopped');
      },
    };
  } catch (error) {
    await knowledge?.close().catch(() => {});
    await erasures?.close().catch(() => {});
    await liveCatalogue?.close().catch(() => {});
    await activeModel?.close().catch(() => {});
    if (prisma) await closeDatabase(prisma).catch(() => {});
    await database?.stop().catch(() => {});
    throw error;
  }
}
