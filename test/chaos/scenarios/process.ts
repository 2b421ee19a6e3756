import type { Scenario } from '../harness.ts';

export const PROCESS_SCENARIOS: readonly Scenario[] = [];
