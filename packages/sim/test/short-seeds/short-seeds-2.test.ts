import { describeShortSeeds } from './short-seeds';

describeShortSeeds(2);
