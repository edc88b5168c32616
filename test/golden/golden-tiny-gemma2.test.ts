import { goldenSuite } from './golden-suite.ts';

goldenSuite('tiny-gemma2');
