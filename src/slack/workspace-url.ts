/**
 * The workspace's URL (`https://<workspace>.slack.com/`), asked once per Web API client with
 * auth.test (https://api.slack.com/methods/auth.test) and remembered, for links to messages.
 * A failed call is asked again next time; meanwhile links fall back to naming the channel.
 */
interface AuthTester {
  auth: { test(): Promise<{ url?: string }> };
}

const known = new WeakMap<AuthTester, Promise<string | undefined>>();

export function workspaceUrl(client: AuthTester): Promise<string | undefined> {
  let url = known.get(client);
  if (!url) {
    url = client.auth.test().then(
      (answer) => answer.url,
      () => {
        known.delete(client);
        return undefined;
      },
    );
    known.set(client, url);
  }
  return url;
}
