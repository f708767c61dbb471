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

/** The metrics of one successful model request. */
export function usageOfResponse(usage: LLMUsage | undefined): UsageMetrics {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return {
    totalTokens: usage?.totalTokens ?? prompt + completion,
    promptTokens: prompt,
    cachedPromptTokens: usage?.cachedPromptTokens ?? 0,
    completionTokens: completion,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    successfulRequests: 1,
  };
}
