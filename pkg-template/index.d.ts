export * from './node/credport.js';
export * from './errors.js';
