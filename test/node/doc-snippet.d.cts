export function verifyWithDocSnippet(payload: unknown, signature: string, secret: string): boolean;
