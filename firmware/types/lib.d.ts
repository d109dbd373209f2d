interface Array<T> { length: number; [n: number]: T; }
interface ReadonlyArray<T> { readonly length: number; readonly [n: number]: T; }
interface Boolean {}
interface Function {}
interface CallableFunction {}
interface NewableFunction {}
interface IArguments {}
interface Number {}
interface Object {}
interface RegExp {}
interface String { readonly length: number; }
interface SymbolConstructor { readonly iterator: unique symbol; }
declare var Symbol: SymbolConstructor;
interface IteratorYieldResult<TYield> { done?: false; value: TYield; }
interface IteratorReturnResult<TReturn> { done: true; value: TReturn; }
type IteratorResult<T, TReturn = any> = IteratorYieldResult<T> | IteratorReturnResult<TReturn>;
interface Iterator<T, TReturn = any, TNext = any> { next(...args: [] | [TNext]): IteratorResult<T, TReturn>; }
interface Iterable<T, TReturn = any, TNext = any> { [Symbol.iterator](): Iterator<T, TReturn, TNext>; }
interface IterableIterator<T, TReturn = any, TNext = any> extends Iterator<T, TReturn, TNext> { [Symbol.iterator](): IterableIterator<T, TReturn, TNext>; }
interface ArrayIterator<T> extends IterableIterator<T> {}
interface Array<T> { [Symbol.iterator](): ArrayIterator<T>; }
interface ReadonlyArray<T> { [Symbol.iterator](): ArrayIterator<T>; }
type Record<K extends keyof any, T> = { [P in K]: T; };
type Partial<T> = { [P in keyof T]?: T[P]; };
type Exclude<T, U> = T extends U ? never : T;
interface TemplateStringsArray extends ReadonlyArray<string> {}
interface PromiseLike<T> {}
