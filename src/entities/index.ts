export { extractEntities } from './extract.ts';
export { patternProblem, foldForMatching } from './custom.ts';
export { isSupportedCountry as isPhoneRegion } from 'libphonenumber-js/max';
export {
  BUILT_IN_ENTITY_TYPES,
  type BuiltInEntityType,
  type CountryCode,
  type CustomEntityType,
  type Entity,
  type EntitySettings,
  type EntityValue,
  type ExtractionContext,
  type Money,
} from './types.ts';
