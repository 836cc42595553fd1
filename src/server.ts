import { join } from 'node:path';
import { Server as SocketServer } from 'socket.io';
import type { Config } from './config/config.ts';
import type { Logger } from './observability/logger.ts';
import { openDatabase, type DatabaseHandle } from './store/database.ts';
import { applyMigrations } from './store/migrate.ts';
import { createPrismaClient, type PrismaClient } from './store/prisma.ts';
import { ChatStore } from './store/chat-store.ts';
import { sharedSecret } from './store/secrets.ts';
import { loadCatalogue } from './catalogue/index.ts';
import { ModelRegistry } from './training/registry.ts';
import { ActiveModel } from './training/active-model.ts';
import { Metrics } from './observability/metrics.ts';
import { ensureActiveModel } from './training/bootstrap.ts';
import { currentTrainingSet, knowledgeTexts } from './training/training-set.ts';
import { DialogueService } from './dialogue/service.ts';
import { KnowledgeFallback } from './dialogue/knowledge-fallback.ts';
import { KnowledgeStore } from './store/knowledge-store.ts';
import { createHttpServer } from './gateway/http.ts';
import { attachChatNamespace } from './gateway/chat-namespace.ts';
import { VisitorTokens } from './gateway/visitor-token.ts';
import { corsOrigin, originAllowed } from './gateway/origins.ts';
import { attachAgentWorkspace } from './gateway/agent-api.ts';
import { registerStaticRoutes } from './gateway/static.ts';
import { attachScaleOut, resolveScaleOut } from './gateway/scale-out.ts';
import { startRetrainScheduler } from './training/scheduler.ts';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Wires every part together and starts listening. The one place that knows all the pieces. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  let database: DatabaseHandle | null = null;
  let prisma: PrismaClient | null = null;
  let activeModel: ActiveModel | null = null;
  let knowledge: KnowledgeFallback | null = null;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    await applyMigrations(database.url, logger);
    prisma = createPrismaClient(database.url, config.databasePoolSize);
    const db = prisma;
    const metrics = new Metrics();
    const store = new ChatStore(db, { onBatch: (statement, size) => metrics.databaseBatchSize.observe({ statement }, size) });
    const tokens = new VisitorTokens(config.secretKey ?? (await sharedSecret(db, 'visitor-token')));

    const catalogue = await loadCatalogue(config.intentsDir);
    const registry = new ModelRegistry(db);
    await ensureActiveModel({
      examples: () => currentTrainingSet(db, catalogue),
      unlabelled: () => knowledgeTexts(join(config.intentsDir, 'knowledge')),
      registry,
      dataDir: config.dataDir,
      logger,
    });
    const model = new ActiveModel(registry, logger, {
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
      knowledgeDir: join(config.intentsDir, 'knowledge'),
      indexDir: join(config.dataDir, 'index'),
      currentEncoder: () => (model.version ? { id: model.version.name, embed: (texts) => model.embed(texts) } : null),
      logger: logger.child({ component: 'knowledge' }),
    });
    knowledge = fallback;
    await model.followPromotions(database.url);
    await fallback.refresh();
    // After a promotion, replies keep flowing (without retrieval) while the index is re-embedded.
    model.onSwitch(() => void fallback.refresh().catch((error: unknown) => logger.error({ err: error }, 'rebuilding the knowledge index failed')));

    let shuttingDown = false;
    const isShuttingDown = () => shuttingDown;
    const http = await createHttpServer({
      logger,
      metrics,
      isShuttingDown,
      readiness: [
        { name: 'database', check: async () => (await db.$queryRaw`SELECT 1`, true) },
        { name: 'model', check: async () => model.versionId !== null },
      ],
    });
    await registerStaticRoutes(http, { allowedOrigins: config.allowedOrigins });
    const io = new SocketServer(http.server, {
      // Large enough that an oversized message gets a TEXT_TOO_LONG answer instead of a dropped connection.
      maxHttpBufferSize: 16 * 1024 * 1024,
      allowRequest: (request, callback) => callback(null, originAllowed(request, config.allowedOrigins)),
      cors: { origin: corsOrigin(config.allowedOrigins) },
    });
    // Before any namespace is set up: rooms and events shared with other processes on this Postgres.
    const scaleOut = await attachScaleOut(io, { mode: resolveScaleOut(config.scaleOut, config.databaseUrl), databaseUrl: database.url, logger });
    const agents = await attachAgentWorkspace({
      app: http,
      io,
      prisma: db,
      logger,
      intents: () => catalogue.intents,
      maxMessageChars: config.maxMessageChars,
    });
    const dialogue = new DialogueService({
      store,
      catalogue: () => catalogue,
      classifier: () => model,
      retrieval: () => fallback,
      logger,
      onReplied: (source, seconds) => {
        metrics.replies.inc({ source });
        metrics.replyLatency.observe({ source }, seconds);
      },
      onAnswered: (outcome) => void agents.workspace.observeAnswer(outcome),
    });

    // A resolved conversation's agent answers become retrievable for the next visitor.
    agents.workspace.on('resolved', (conversationId) => {
      fallback.harvestConversation(conversationId).catch((error: unknown) => logger.error({ err: error, conversationId }, 'harvesting agent answers failed'));
    });
    attachChatNamespace(io.of('/chat'), {
      store,
      dialogue,
      tokens,
      logger: logger.child({ component: 'chat' }),
      maxMessageChars: config.maxMessageChars,
      messagesPerSecond: config.messagesPerSecond,
      messageBurst: config.messageBurst,
      isShuttingDown,
      metrics,
      onVisitorMessage: agents.onVisitorMessage,
      onConversationResolved: (conversationId) => {
        agents.workspace.emit('changed', conversationId);
        agents.workspace.emit('resolved', conversationId);
      },
    });

    // Periodic retraining in a worker thread, gated before promotion (docs/learning-loop.md).
    const retraining = startRetrainScheduler(config.retrainSchedule, {
      prisma: db, databaseUrl: database.url, registry, catalogue, intentsDir: config.intentsDir, dataDir: config.dataDir, logger: logger.child({ component: 'retrain' }), margin: config.promotionMargin,
    });

    await http.listen({ port: config.port, host: config.host });
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ url, modelVersion: model.version?.name, embeddedDatabase: database.embedded }, 'frontdesk is serving');

    const runningDatabase = database;
    return {
      url,
      port,
      close: async () => {
        shuttingDown = true;
        // Stop taking connections, let acknowledged messages get their replies, then release resources.
        const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
        await retraining.stop();
        await Promise.race([dialogue.drain(), grace]);
        io.disconnectSockets(true);
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await scaleOut.close();
        await http.close().catch(() => {});
        await fallback.close();
        await model.close();
        await db.$disconnect();
        await runningDatabase.stop();
        logger.info('frontdesk stopped');
      },
    };
  } catch (error) {
    await knowledge?.close().catch(() => {});
    await activeModel?.close().catch(() => {});
    await prisma?.$disconnect().catch(() => {});
    await database?.stop().catch(() => {});
    throw error;
  }
}
