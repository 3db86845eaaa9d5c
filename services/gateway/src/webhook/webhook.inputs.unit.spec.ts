import { webhookUrlProblem } from './webhook.inputs';

describe('webhook input text', () => {
  it('given a webhook url with a NUL, when checked, then it is refused without echoing the url', () => {
    expect(webhookUrlProblem('https://hooks.example.com/t0ken\0')).toBe('url contains a control character U+0000 at position 31');
    expect(webhookUrlProblem('https://hooks.example.com/t0ken')).toBeNull();
  });
});
