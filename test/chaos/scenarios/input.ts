import type { Scenario } from '../harness.ts';

export const INPUT_SCENARIOS: readonly Scenario[] = [];
