import type { SessionHooks as SockAuthHooks } from '@sockauth/core';

/** Every hook of {@link SockAuthHooks}; the type below fails to compile if one is added and not listed here. */
export const HOOK_NAMES = [
  'onAuthFailure',
  'onAuthenticated',
  'onRelease',
  'onReauth',
  'onRevoke',
  'onExpire',
  'onVerify',
  'onRoomLeft',
  'onDowngrade',
  'onAnonymous',
] as const satisfies readonly (keyof SockAuthHooks)[];

type Unlisted = Exclude<keyof SockAuthHooks, (typeof HOOK_NAMES)[number]>;
const allHooksListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allHooksListed;

type AnyHook = (info: never) => void;

/**
 * Merges several hook sets into one: each hook calls, in order, every set's hook of that name. A hook no set
 * defines stays undefined, so combining costs nothing for it (`onVerify` in particular: sockauth only times
 * verification when `onVerify` is set). A hook that throws does not keep the others from running.
 *
 * @example
 * ```ts
 * sockAuth(io, {
 *   verifier,
 *   hooks: combineHooks(prometheusHooks({ client, registry }), { onRevoke: (info) => audit(info) }),
 * });
 * ```
 */
export function combineHooks(...sets: readonly (SockAuthHooks | null | undefined | false)[]): SockAuthHooks {
  const combined: Record<string, AnyHook> = {};
  for (const name of HOOK_NAMES) {
    const hooks: AnyHook[] = [];
    for (const set of sets) {
      const hook = set ? (set[name] as AnyHook | undefined) : undefined;
      if (typeof hook === 'function') hooks.push(hook.bind(set));
    }
    if (hooks.length === 0) continue;
    combined[name] =
      hooks.length === 1
        ? hooks[0]!
        : (info: never) => {
            for (const hook of hooks) {
              try {
                hook(info);
              } catch {
                // One failing hook must not hide the event from the others.
              }
            }
          };
  }
  return combined as SockAuthHooks;
}
