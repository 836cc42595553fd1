// The catalogue's entity types (`intents/_entities.yaml`): patterns such as order numbers and lists
// with synonyms such as products, sizes and colours, plus the region of phone numbers per language.
import { z } from 'zod';
import { BUILT_IN_ENTITY_TYPES, foldForMatching, isPhoneRegion, patternProblem, type CountryCode, type CustomEntityType, type EntitySettings } from '../entities/index.ts';
import type { CatalogueProblem } from './errors.ts';
import { issuesToProblems, makeProblem, type Locate } from './issues.ts';
import { INTENT_NAME_PATTERN, LANGUAGE_PATTERN, MAX_TEXT_LENGTH } from './schema.ts';

export const ENTITIES_FILE = '_entities.yaml';
export const ENTITIES_KEYS = ['phone_regions', 'types'] as const;
export const ENTITY_TYPE_KEYS = ['name', 'pattern', 'answer_pattern', 'values'] as const;

/** Without `_entities.yaml`: the built-in types only, and phone numbers only with a country code. */
export const NO_ENTITIES: EntitySettings = Object.freeze({ types: Object.freeze([]), phoneRegions: Object.freeze({}) });

const phrase = z.string({ error: 'a value or synonym must be a string' }).trim().min(1, { error: 'a value or synonym must not be empty' }).max(MAX_TEXT_LENGTH);

function regularExpression(field: string) {
  return z.string({ error: `${field} must be a string (a regular expression)` }).superRefine((pattern, context) => {
    const problem = patternProblem(pattern);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
}

const entityType = z
  .strictObject(
    {
      name: z
        .string({ error: (issue) => (issue.input === undefined ? 'name is required' : 'name must be a string') })
        .regex(INTENT_NAME_PATTERN, { error: 'name must be snake_case (a-z, 0-9, single underscores)' })
        .refine((name) => !(BUILT_IN_ENTITY_TYPES as readonly string[]).includes(name), { error: `name must not be a built-in type (${BUILT_IN_ENTITY_TYPES.join(', ')})` }),
      pattern: regularExpression('pattern').optional(),
      answer_pattern: regularExpression('answer_pattern').optional(),
      values: z
        .record(phrase, z.array(phrase, { error: 'the synonyms of a value must be a list of strings' }).nullable().transform((synonyms) => synonyms ?? []), {
          error: 'values must map each canonical value to a list of synonyms',
        })
        .refine((values) => Object.keys(values).length > 0, { error: 'values must have at least one value' })
        .optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'an entity type must be a mapping with name and pattern or values') },
  )
  .superRefine((type, context) => {
    if ((type.pattern === undefined) === (type.values === undefined)) {
      context.addIssue({ code: 'custom', message: 'an entity type needs either pattern or values (not both)', path: [] });
    }
    if (type.answer_pattern !== undefined && type.pattern === undefined) {
      context.addIssue({ code: 'custom', message: 'answer_pattern belongs to a type with a pattern', path: ['answer_pattern'] });
    }
  });

function entitiesSchema() {
  return z.strictObject(
    {
      phone_regions: z
        .record(
          z.string().regex(LANGUAGE_PATTERN, { error: 'phone_regions languages must be language codes such as en, de, pt-BR' }),
          z.string({ error: 'a phone region must be a string' }).refine(isPhoneRegion, { error: 'a phone region must be a two-letter region code such as US, DE, CN' }),
          { error: 'phone_regions must map language codes to region codes' },
        )
        .default({}),
      types: z.array(entityType, { error: 'types must be a list of entity types' }).default([]),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : `${ENTITIES_FILE} must be a YAML mapping of ${ENTITIES_KEYS.join(', ')}`) },
  );
}

type ParsedEntities = z.output<ReturnType<typeof entitiesSchema>>;

/** Zod's issues as problems, naming the fields allowed where the unknown one was found. */
function entityIssuesToProblems(issues: readonly z.core.$ZodIssue[], file: string, locate: Locate | undefined, prefix: readonly PropertyKey[] = []): CatalogueProblem[] {
  const inType = (issue: z.core.$ZodIssue) => issue.path[0] === 'types' && issue.path.length >= 2;
  return [
    ...issuesToProblems(issues.filter((issue) => !inType(issue)), file, locate, prefix, ENTITIES_KEYS),
    ...issuesToProblems(issues.filter(inType), file, locate, prefix, ENTITY_TYPE_KEYS),
  ];
}

/**
 * Rules across entries: type names are unique, and within a list no phrase (in its folded form:
 * case and diacritics do not matter) stands for two canonical values.
 */
function checkEntities(parsed: ParsedEntities, file: string, locate: Locate | undefined, prefix: readonly PropertyKey[] = []): CatalogueProblem[] {
  const problems: CatalogueProblem[] = [];
  const names = new Map<string, number>();
  parsed.types.forEach((type, index) => {
    const first = names.get(type.name);
    if (first !== undefined) problems.push(makeProblem(file, ['types', index, 'name'], `duplicate entity type "${type.name}" (also types[${first}])`, locate, prefix));
    else names.set(type.name, index);
    const owners = new Map<string, string>();
    for (const [canonical, synonyms] of Object.entries(type.values ?? {})) {
      for (const phrase of [canonical, ...synonyms]) {
        const folded = foldForMatching(phrase);
        const owner = owners.get(folded);
        if (owner !== undefined && owner !== canonical) {
          problems.push(makeProblem(file, ['types', index, 'values', canonical], `"${phrase}" stands for both "${owner}" and "${canonical}"`, locate, prefix));
        }
        owners.set(folded, owner ?? canonical);
      }
    }
  });
  return problems;
}

/** The validated file as the extractor's settings, frozen (the extractor compiles them once per object). */
function toEntitySettings(parsed: ParsedEntities): EntitySettings {
  const types: CustomEntityType[] = parsed.types.map((type) =>
    type.pattern !== undefined ? Object.freeze({ name: type.name, pattern: type.pattern, ...(type.answer_pattern !== undefined ? { answerPattern: type.answer_pattern } : {}) }) : Object.freeze({ name: type.name, values: Object.freeze({ ...type.values }) }),
  );
  return Object.freeze({ types: Object.freeze(types), phoneRegions: Object.freeze({ ...parsed.phone_regions }) as Record<string, CountryCode> });
}

/** Validates `_entities.yaml`'s content: the settings, or null with every problem found. */
export function parseEntities(value: unknown, file: string, locate: Locate | undefined, prefix: readonly PropertyKey[] = []): { settings: EntitySettings | null; problems: CatalogueProblem[] } {
  const result = entitiesSchema().safeParse(value);
  if (!result.success) return { settings: null, problems: entityIssuesToProblems(result.error.issues, file, locate, prefix) };
  const problems = checkEntities(result.data, file, locate, prefix);
  return { settings: problems.length === 0 ? toEntitySettings(result.data) : null, problems };
}
