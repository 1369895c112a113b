import { describeShortSeeds } from './short-seeds';

describeShortSeeds(1);
