/** What the Mayor's server needs from its environment. */
export interface MayorConfig {
  readonly gatewayUrl: string;
  readonly token: string;
}

export type MayorConfigResult = { ok: true; config: MayorConfig } | { ok: false; problems: string[] };

/**
 * Reads GATEWAY_URL and GT_TOKEN, naming every bad variable; a problem never quotes the
 * token's value, only its variable.
 */
export function readMayorConfig(env: NodeJS.ProcessEnv): MayorConfigResult {
  const problems: string[] = [];
  const gatewayUrl = env['GATEWAY_URL']?.trim() || `http://127.0.0.1:${env['GATEWAY_PORT']?.trim() || '4000'}/graphql`;
  let url: URL | null = null;
  try {
    url = new URL(gatewayUrl);
  } catch {
    problems.push(`GATEWAY_URL ${JSON.stringify(gatewayUrl)} is not a URL (expected e.g. http://127.0.0.1:4000/graphql)`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`GATEWAY_URL ${JSON.stringify(gatewayUrl)} must be an http:// or https:// URL`);
  }
  const token = env['GT_TOKEN']?.trim() ?? '';
  if (!token) {
    problems.push('GT_TOKEN is not set: give the Mayor the town token that `gt town create` printed (GT_TOKEN=gt_…)');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: { gatewayUrl, token } };
}
