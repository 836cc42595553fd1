import { fileURLToPath } from 'node:url';

/** The public benchmark datasets (README, "Benchmarks"): FRONTDESK_DATASETS, else the team's ../shared/datasets. */
export const DATASETS_DIR = process.env.FRONTDESK_DATASETS ?? fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
