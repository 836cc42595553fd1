export type { BotTextKey, Catalogue, IntentDefinition, TrainingExample } from './types.ts';
export { CatalogueError, UnknownIntentError, formatProblem, type CatalogueProblem } from './errors.ts';
export { loadCatalogue, catalogueFromFiles, isCatalogueYaml, yamlProblems, INTENT_FILE_EXTENSIONS, type CatalogueFile, type LoadCatalogueOptions } from './loader.ts';
export { createCatalogue, normalizeExample, FALLBACK_LANGUAGE, type CreateCatalogueOptions } from './catalogue.ts';
export { ENTITIES_FILE } from './entities.ts';
export { BOT_FILE, BOT_TEXT_KEYS, OUT_OF_SCOPE_FILE, DEFAULT_BOT_TEXTS, DEFAULT_MIN_EXAMPLES, INTENT_NAME_PATTERN, LANGUAGE_PATTERN } from './schema.ts';
