/**
 * An error with its causes on one line, for logs. Temporal's client wraps the gRPC error that says
 * what happened (`14 UNAVAILABLE`, `4 DEADLINE_EXCEEDED`) in a ServiceError whose own message does not.
 */
export function errorChain(error: unknown, maxDepth = 4): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < maxDepth; depth += 1) {
    parts.push(String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' ← ');
}
