import { runApp, runMain } from '@ztp/platform';
import { OWNER_ONBOARDING_APP } from './owner-onboarding.app';

runMain(() => runApp(OWNER_ONBOARDING_APP));
