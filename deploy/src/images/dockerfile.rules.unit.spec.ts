import { parseDockerfile } from './dockerfile.model';
import { lintDockerfile } from './dockerfile.rules';

const GOOD = `ARG NODE_IMAGE=node:22.23.3-bookworm-slim
FROM \${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm install --no-audit --no-fund && npx nx run-many -t build

FROM \${NODE_IMAGE} AS service
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/* && mkdir /data && chown 1000:1000 /data
WORKDIR /app
COPY --from=build /src/dist/services/convoy/ ./
USER 1000:1000
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
CMD ["/app/main.js"]
`;

function lint(text: string): string[] {
  return lintDockerfile(parseDockerfile('Dockerfile', text));
}

describe('Dockerfile rules', () => {
  it('given a pinned multi-stage file run by a numeric user under tini, when linted, then nothing is reported', () => {
    expect(lint(GOOD)).toEqual([]);
  });

  it.each([
    ['node:latest', 'not an exact version'],
    ['node:22-bookworm-slim', 'not an exact version'],
    ['node', 'no tag, which means latest'],
  ])('given a base image %s, when linted, then it is refused (%s)', (image, message) => {
    expect(lint(GOOD.replace('node:22.23.3-bookworm-slim', image)).join('\n')).toContain(message);
  });

  it('given a base image pinned by digest, when linted, then it is accepted', () => {
    expect(lint(GOOD.replace('node:22.23.3-bookworm-slim', `node@sha256:${'a'.repeat(64)}`))).toEqual([]);
  });

  it('given no USER, a named user or root, when linted, then the target is refused', () => {
    expect(lint(GOOD.replace('USER 1000:1000\n', '')).join('\n')).toContain('target service: runs as root (no USER)');
    expect(lint(GOOD.replace('USER 1000:1000', 'USER node')).join('\n')).toContain('USER node is a name');
    expect(lint(GOOD.replace('USER 1000:1000', 'USER 0')).join('\n')).toContain('USER 0 is root');
  });

  it('given ADD of a URL, when linted, then the download is named', () => {
    expect(lint(GOOD.replace('COPY . .', 'ADD https://example.org/agent.tgz /opt/')).join('\n')).toContain('fetches https://example.org/agent.tgz');
  });

  it('given npm ci, when linted, then it is refused', () => {
    expect(lint(GOOD.replace('npm install --no-audit', 'npm ci --no-audit')).join('\n')).toContain('runs npm ci');
  });

  it('given a shell-form CMD or no init as PID 1, when linted, then SIGTERM handling is named', () => {
    expect(lint(GOOD.replace('CMD ["/app/main.js"]', 'CMD node /app/main.js')).join('\n')).toContain('CMD in shell form');
    expect(lint(GOOD.replace('ENTRYPOINT ["/usr/bin/tini", "--", "node"]', 'ENTRYPOINT ["node"]')).join('\n')).toContain('node is PID 1');
  });

  it('given code copied with --chown to the service user, when linted, then it is refused', () => {
    expect(lint(GOOD.replace('COPY --from=build', 'COPY --from=build --chown=1000:1000')).join('\n')).toContain('hands the service its own code');
  });

  it('given a volume the service user does not own, when linted, then it is named', () => {
    expect(lint(GOOD.replace(' && chown 1000:1000 /data', '')).join('\n')).toContain('VOLUME /data is not given to uid 1000');
  });

  it('given apt-get install without cleaning or recommends off, when linted, then both are named', () => {
    const problems = lint(GOOD.replace('--no-install-recommends ', '').replace(' && rm -rf /var/lib/apt/lists/*', '')).join('\n');
    expect(problems).toContain('without --no-install-recommends');
    expect(problems).toContain('leaves /var/lib/apt/lists');
  });

  it('given a secret in ENV, when linted, then it is refused', () => {
    expect(lint(GOOD.replace('WORKDIR /app', 'WORKDIR /app\nENV NATS_PASSWORD=hunter2')).join('\n')).toContain('NATS_PASSWORD: a secret baked into an image layer');
  });

  it('given an unknown instruction, when linted, then the validator reports it', () => {
    expect(lint(GOOD.replace('WORKDIR /app', 'WORKDIRR /app')).join('\n')).toMatch(/line 9: (error|warning): Unknown instruction: WORKDIRR/);
  });
});
