// A value the views re-render on: enough state machinery for a handful of pages.
import { useEffect, useState } from 'preact/hooks';

export interface Signal<T> {
  get(): T;
  set(next: T): void;
  subscribe(listener: () => void): () => void;
}

export function signal<T>(initial: T): Signal<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      value = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useSignal<T>(s: Signal<T>): T {
  const [, bump] = useState(0);
  const value = s.get();
  useEffect(() => {
    const unsubscribe = s.subscribe(() => bump((n) => n + 1));
    // Effects run after paint: a change between render and subscription would otherwise be missed.
    if (s.get() !== value) bump((n) => n + 1);
    return unsubscribe;
  }, [s]);
  return value;
}
