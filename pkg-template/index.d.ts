/// <reference lib="esnext.disposable" />
export * from './node/credport.js';
export * from './errors.js';
