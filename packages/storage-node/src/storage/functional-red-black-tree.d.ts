// The parts of the `functional-red-black-tree` package (a persistent sorted map: every change
// returns a new tree and leaves the old one whole) that MemoryStore uses; it ships no types.
declare module 'functional-red-black-tree' {
  namespace createRBTree {
    interface Iterator<K, V> {
      readonly valid: boolean;
      readonly key: K;
      readonly value: V;
      next(): void;
      prev(): void;
      /** A new tree with this entry's value replaced. */
      update(value: V): Tree<K, V>;
      /** A new tree without this entry. */
      remove(): Tree<K, V>;
    }
    interface Tree<K, V> {
      readonly length: number;
      get(key: K): V | undefined;
      /** A new tree with the entry added (beside any equal key: callers update an existing key instead). */
      insert(key: K, value: V): Tree<K, V>;
      /** A new tree without the key (the same tree when absent). */
      remove(key: K): Tree<K, V>;
      find(key: K): Iterator<K, V>;
      readonly begin: Iterator<K, V>;
      readonly end: Iterator<K, V>;
      ge(key: K): Iterator<K, V>;
      gt(key: K): Iterator<K, V>;
      lt(key: K): Iterator<K, V>;
      le(key: K): Iterator<K, V>;
    }
  }
  function createRBTree<K, V>(compare?: (a: K, b: K) => number): createRBTree.Tree<K, V>;
  export = createRBTree;
}
