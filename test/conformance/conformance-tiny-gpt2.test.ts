import { conformanceSuite } from './conformance-suite.ts';

conformanceSuite('tiny-gpt2');
