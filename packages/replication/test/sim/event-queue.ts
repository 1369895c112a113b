/** The event queue lives in @triad/runtime now (the same ordering: seeds replay as before). */
export { EventQueue } from '@triad/runtime';
