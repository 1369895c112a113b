/** The simulator's generator lives in @triad/runtime now (the same algorithm: seeds replay as before). */
export { Prng } from '@triad/runtime';
