import { goldenSuite } from './golden-suite.ts';

goldenSuite('tiny-gpt2-fp16');
