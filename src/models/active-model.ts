import type { Logger } from '../observability/logger.ts';
import type { CommonModelMeta, IntentModel as AnyIntentModel, IntentPrediction } from '../nlu/types.ts';

type IntentModel = AnyIntentModel<CommonModelMeta>;
import { loadAnyModel, type LoadModelOptions } from '../nlu/index.ts';
import { MODEL_CHANNEL, type ModelRegistry, type ModelVersion } from './registry.ts';
import { listen, type Subscription } from '../store/notifications.ts';
import type { ModelFiles } from './model-files.ts';

interface Loaded {
  version: ModelVersion;
  model: IntentModel;
  inFlight: number;
  retired: boolean;
}

/**
 * A prediction of the version in service, with its sentence vector tagged by the encoder that made
 * it: vectors of different versions are not comparable, and the version may change before it is used.
 */
export type ServedPrediction = Omit<IntentPrediction, 'embedding'> & { sentence: { encoderId: string; vector: Float32Array } };

/** The sentence encoder of a version is the version itself: its name identifies the vectors it makes. */
const encoderIdOf = (version: ModelVersion) => version.name;

/**
 * The model version this process serves. A promotion loads the new version next to the old one and
 * swaps them atomically; the old one is closed only after its in-flight calls finish, so a switch
 * never fails or drops a message.
 */
export class ActiveModel {
  private loaded: Loaded | null = null;
  private promotions: Subscription | null = null;
  private switching: Promise<void> = Promise.resolve();
  private readonly switchListeners: Array<(version: ModelVersion, model: IntentModel) => void> = [];

  constructor(
    private readonly registry: ModelRegistry,
    /** This process's copies of versions' files, fetched from the artifact store when missing. */
    private readonly files: ModelFiles,
    private readonly logger: Logger,
    private readonly loadOptions: LoadModelOptions = {},
  ) {}

  get versionId(): string | null {
    return this.loaded?.version.id ?? null;
  }

  get version(): ModelVersion | null {
    return this.loaded?.version ?? null;
  }

  get model(): IntentModel | null {
    return this.loaded?.model ?? null;
  }

  /** The encoder that `embed` uses now; null before a version is loaded. */
  get encoderId(): string | null {
    return this.loaded ? encoderIdOf(this.loaded.version) : null;
  }

  /** Called after every switch to a new version (e.g. to re-embed the knowledge index). */
  onSwitch(listener: (version: ModelVersion, model: IntentModel) => void): void {
    this.switchListeners.push(listener);
  }

  classify(text: string): Promise<ServedPrediction> {
    return this.use(async ({ model, version }) => {
      const { embedding, ...prediction } = await model.classify(text);
      return { ...prediction, sentence: { encoderId: encoderIdOf(version), vector: embedding } };
    });
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.use(({ model }) => model.embed(texts));
  }

  private async use<T>(call: (loaded: Loaded) => Promise<T>): Promise<T> {
    const loaded = this.loaded;
    if (!loaded) throw new Error('no intent model is loaded');
    loaded.inFlight += 1;
    try {
      return await call(loaded);
    } finally {
      loaded.inFlight -= 1;
      if (loaded.retired && loaded.inFlight === 0) void this.closeRetired(loaded);
    }
  }

  /** Loads the active version from the registry (if it is not the one already served). */
  refresh(): Promise<void> {
    this.switching = this.switching.catch(() => {}).then(async () => {
      const active = await this.registry.active();
      if (!active || active.id === this.loaded?.version.id) return;
      await this.switchTo(active);
    });
    return this.switching;
  }

  private async switchTo(version: ModelVersion): Promise<void> {
    const model = await loadAnyModel(await this.files.localDir(version), this.loadOptions);
    const previous = this.loaded;
    this.loaded = { version, model, inFlight: 0, retired: false };
    this.logger.info({ modelVersion: version.name, executionProvider: model.executionProvider }, 'intent model in service');
    for (const listener of this.switchListeners) listener(version, model);
    if (previous) {
      previous.retired = true;
      if (previous.inFlight === 0) await this.closeRetired(previous);
    }
  }

  private async closeRetired(loaded: Loaded): Promise<void> {
    await loaded.model.close().catch((error: unknown) => this.logger.warn({ err: error }, 'closing a retired model failed'));
  }

  /** Follows promotions made by any process (CLI, another server) through Postgres LISTEN/NOTIFY. */
  async followPromotions(databaseUrl: string): Promise<void> {
    const switchToPromoted = () => void this.refresh().catch((error: unknown) => this.logger.error({ err: error }, 'switching to a promoted model failed'));
    this.promotions = await listen({
      databaseUrl,
      channel: MODEL_CHANNEL,
      logger: this.logger,
      onNotification: switchToPromoted,
      // A promotion may have happened while the listener was away.
      onReconnect: switchToPromoted,
    });
    await this.refresh();
  }

  async close(): Promise<void> {
    await this.promotions?.close();
    this.promotions = null;
    if (this.loaded) await this.loaded.model.close();
    this.loaded = null;
  }
}
