import { goldenSuite } from './golden-suite.ts';

goldenSuite('tiny-gpt2');
