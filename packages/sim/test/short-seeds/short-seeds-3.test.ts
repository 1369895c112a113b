import { describeShortSeeds } from './short-seeds';

describeShortSeeds(3);
