import type { LLMUsage } from './llm/types.js';

export interface UsageMetrics {
  totalTokens: number;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  successfulRequests: number;
}

export function emptyUsage(): UsageMetrics {
  return {
    totalTokens: 0,
    promptTokens: 0,
    cachedPromptTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    successfulRequests: 0,
  };
}

export function addUsage(a: UsageMetrics, b: UsageMetrics): UsageMetrics {
  return {
    totalTokens: a.totalTokens + b.totalTokens,
    promptTokens: a.promptTokens + b.promptTokens,
    cachedPromptTokens: a.cachedPromptTokens + b.cachedPromptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    successfulRequests: a.successfulRequests + b.successfulRequests,
  };
}

/**
 * The metrics of one successful model request. A count that is not a non-negative number (a
 * hand-written model's `'10'`, `NaN`) counts as absent, so it cannot turn the run's totals into text.
 */
export function usageOfResponse(usage: LLMUsage | undefined): UsageMetrics {
  const prompt = count(usage?.promptTokens) ?? 0;
  const completion = count(usage?.completionTokens) ?? 0;
  return {
    totalTokens: count(usage?.totalTokens) ?? prompt + completion,
    promptTokens: prompt,
    cachedPromptTokens: count(usage?.cachedPromptTokens) ?? 0,
    completionTokens: completion,
    reasoningTokens: count(usage?.reasoningTokens) ?? 0,
    successfulRequests: 1,
  };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
