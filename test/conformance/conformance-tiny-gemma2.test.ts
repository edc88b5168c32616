import { conformanceSuite } from './conformance-suite.ts';

conformanceSuite('tiny-gemma2');
