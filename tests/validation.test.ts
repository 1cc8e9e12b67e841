/**
 * The validation catalogue: one case per rule, each asserting the construct path the
 * problem is reported at and the phrase that tells the user what to change. A rule that
 * stops firing, or fires at the wrong path, fails its case.
 */
import { describe, expect, it } from 'vitest';
import {
  Condition,
  ContainerStep,
  Duration,
  Environment,
  ParallelFor,
  Pipeline,
  type PipelineProps,
  Resources,
  Schedule,
  Volume,
  type ContainerStepProps,
  type EnvironmentProps,
  eq,
  gt,
  inputArtifactPath,
  outputArtifactPath,
  outputPath,
} from '../constructs/index.ts';
import { type DfpApp } from '../app/dfp-app.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { IMAGE, envProps, modelOrError, testApp } from './support/fixtures.ts';

interface Case {
  /** What the user got wrong. */
  readonly rule: string;
  /** Builds the invalid app. */
  readonly setup: (app: DfpApp) => void;
  /** The construct path the problem must be reported at. */
  readonly path: string;
  /** A phrase of the message, naming what to change. */
  readonly says: RegExp;
}

/** A pipeline `p` with the given props, in an app that is otherwise valid. */
const pipeline = (app: DfpApp, props: PipelineProps = {}, id = 'p') => new Pipeline(app, id, props);
const step = (scope: Pipeline | Condition | ParallelFor, id: string, props: Partial<ContainerStepProps> = {}) =>
  new ContainerStep(scope, id, { image: IMAGE, ...props });
const withEnv = (overrides: Partial<EnvironmentProps>) => (app: DfpApp) => {
  new Environment(app, 'bad', envProps(overrides));
};

const PIPELINE_CASES: Case[] = [
  {
    rule: 'pipeline name not DNS-1123',
    setup: (a) => step(pipeline(a, {}, 'My_Pipeline'), 's'),
    path: 'My_Pipeline',
    says: /pipeline name 'My_Pipeline' must be a DNS-1123 label.*'my-pipeline'/,
  },
  {
    rule: 'cron with too few fields',
    setup: (a) => step(pipeline(a, { schedule: Schedule.cron('0 6 * *') }), 's'),
    path: 'p',
    says: /must have 5 fields/,
  },
  {
    rule: 'cron value out of range',
    setup: (a) => step(pipeline(a, { schedule: Schedule.cron('0 25 * * *') }), 's'),
    path: 'p',
    says: /'25' is out of range for the hour field \(0-23\)/,
  },
  {
    rule: 'cron day-of-week 7 (robfig rejects it)',
    setup: (a) => step(pipeline(a, { schedule: Schedule.cron('0 6 * * 7') }), 's'),
    path: 'p',
    says: /'7' is out of range for the day-of-week field \(0-6\)/,
  },
  {
    rule: 'cron range backwards',
    setup: (a) => step(pipeline(a, { schedule: Schedule.cron('0 6 * * FRI-MON') }), 's'),
    path: 'p',
    says: /runs backwards/,
  },
  {
    rule: 'scheduled, with a parameter that has no default',
    setup: (a) =>
      step(
        pipeline(a, {
          schedule: Schedule.daily(6, 0, 'UTC'),
          parameters: { run_name: { type: 'string' }, day: { type: 'string' }, n: { type: 'int', default: 1 } },
        }),
        's',
      ),
    path: 'p',
    says: new RegExp(
      /parameters 'run_name', 'day' have no default, but /.source +
        /the pipeline runs on a schedule \('0 6 \* \* \*'\).*give /.source +
        /them defaults or drop the schedule/.source,
    ),
  },
  {
    rule: 'unknown time zone',
    setup: (a) => step(pipeline(a, { schedule: Schedule.cron('0 6 * * *', { timezone: 'Mars/Olympus' }) }), 's'),
    path: 'p',
    says: /time zone 'Mars\/Olympus' is not an IANA name/,
  },
  {
    rule: 'pipeline timeout of zero',
    setup: (a) => step(pipeline(a, { timeout: Duration.seconds(0) }), 's'),
    path: 'p',
    says: /timeout must be longer than zero/,
  },
  {
    rule: 'parameter name not snake_case',
    setup: (a) => step(pipeline(a, { parameters: { 'learning-rate': { type: 'float' } } }), 's'),
    path: 'p',
    says: /parameter 'learning-rate' must be snake_case.*'learning_rate'/,
  },
  {
    rule: 'parameter default of the wrong type',
    setup: (a) => step(pipeline(a, { parameters: { epochs: { type: 'int', default: 'ten' } } }), 's'),
    path: 'p',
    says: /parameter 'epochs' is an int but its default "ten" is a string/,
  },
  {
    rule: 'duplicate step name (one in a group)',
    setup: (a) => {
      const p = pipeline(a);
      step(p, 'train');
      step(new Condition(p, 'g', { when: eq('a', 'a') }), 'train');
    },
    path: 'p/g/train',
    says: /duplicate step name 'train' \(also used by 'p\/train'\)/,
  },
  {
    rule: 'step named like its pipeline',
    setup: (a) => step(pipeline(a), 'p'),
    path: 'p/p',
    says: /is the pipeline's own name/,
  },
  {
    rule: 'step name not DNS-1123',
    setup: (a) => step(pipeline(a), 'Train_Model'),
    path: 'p/Train_Model',
    says: /step name 'Train_Model' must be a DNS-1123 label.*'train-model'/,
  },
  {
    rule: 'image not a reference',
    setup: (a) => step(pipeline(a), 's', { image: 'Not An Image' }),
    path: 'p/s',
    says: /image 'Not An Image' is not a valid image reference/,
  },
  {
    rule: 'bad cpu quantity',
    setup: (a) => step(pipeline(a), 's', { resources: Resources.fixed('two', '1Gi') }),
    path: 'p/s',
    says: /resources.requests.cpu 'two' is not a Kubernetes quantity; write it like '500m'/,
  },
  {
    rule: 'bad memory quantity',
    setup: (a) => step(pipeline(a), 's', { resources: { requests: { memory: '4GB' } } }),
    path: 'p/s',
    says: /resources.requests.memory '4GB' is not a Kubernetes quantity/,
  },
  {
    rule: 'negative quantity',
    setup: (a) => step(pipeline(a), 's', { resources: { limits: { cpu: '-1' } } }),
    path: 'p/s',
    says: /resources.limits.cpu '-1' must not be negative/,
  },
  {
    rule: 'request above limit',
    setup: (a) => step(pipeline(a), 's', { resources: { requests: { memory: '8Gi' }, limits: { memory: '4Gi' } } }),
    path: 'p/s',
    says: /resources.requests.memory '8Gi' is more than resources.limits.memory '4Gi'/,
  },
  {
    rule: 'fractional gpu',
    setup: (a) => step(pipeline(a), 's', { resources: Resources.gpu(0.5, '1', '1Gi') }),
    path: 'p/s',
    says: /resources.gpu.count must be a whole number of at least 1, not 0.5/,
  },
  {
    rule: 'env var name invalid',
    setup: (a) => step(pipeline(a), 's', { env: { 'MY-VAR': 'x' } }),
    path: 'p/s',
    says: /environment variable 'MY-VAR' must match.*'MY_VAR'/,
  },
  {
    rule: 'env var set twice',
    setup: (a) => step(pipeline(a), 's', { env: { TOKEN: 'x' }, secretEnv: { TOKEN: { secret: 's', key: 'k' } } }),
    path: 'p/s',
    says: /environment variable 'TOKEN' is set twice/,
  },
  {
    rule: 'secret without key',
    setup: (a) => step(pipeline(a), 's', { secretEnv: { TOKEN: { secret: 'slack', key: '' } } }),
    path: 'p/s',
    says: /secret 'slack' needs a key/,
  },
  {
    rule: 'secret name invalid',
    setup: (a) => step(pipeline(a), 's', { secretEnv: { TOKEN: { secret: 'Slack_Secret', key: 'token' } } }),
    path: 'p/s',
    says: /secretEnv.TOKEN: secret name 'Slack_Secret' must be a DNS-1123 subdomain/,
  },
  {
    rule: 'secret key with bad characters',
    setup: (a) => step(pipeline(a), 's', { secretEnv: { TOKEN: { secret: 'slack', key: 'a/b' } } }),
    path: 'p/s',
    says: /key 'a\/b' of secret 'slack' may only hold/,
  },
  {
    rule: 'output name not snake_case',
    setup: (a) => step(pipeline(a), 's', { outputs: { 'run-id': 'string' } }),
    path: 'p/s',
    says: /output or input artifact 'run-id' must be snake_case/,
  },
  {
    rule: 'output and artifact share a name',
    setup: (a) => step(pipeline(a), 's', { outputs: { model: 'string' }, outputArtifacts: { model: 'Model' } }),
    path: 'p/s',
    says: /'model' names more than one output or input artifact/,
  },
  {
    rule: 'volume mounted twice',
    setup: (a) => step(pipeline(a), 's', { volumes: [Volume.emptyDir('tmp', '/a'), Volume.emptyDir('tmp', '/b')] }),
    path: 'p/s',
    says: /volume 'tmp' is mounted twice/,
  },
  {
    rule: 'relative mount path',
    setup: (a) => step(pipeline(a), 's', { volumes: [Volume.pvc('data', 'claim', 'data')] }),
    path: 'p/s',
    says: /mountPath 'data' must be an absolute path/,
  },
  {
    rule: 'PVC claim name invalid',
    setup: (a) => step(pipeline(a), 's', { volumes: [Volume.pvc('data', 'My Claim', '/data')] }),
    path: 'p/s',
    says: /volume 'data': claimName 'My Claim' must be a DNS-1123 subdomain/,
  },
  {
    rule: 'emptyDir size not a quantity',
    setup: (a) => step(pipeline(a), 's', { volumes: [Volume.emptyDir('tmp', '/tmp', { sizeLimit: 'big' })] }),
    path: 'p/s',
    says: /volume 'tmp': sizeLimit 'big' is not a Kubernetes quantity/,
  },
  {
    rule: 'toleration Exists with a value',
    setup: (a) => step(pipeline(a), 's', { tolerations: [{ key: 'gpu', operator: 'Exists', value: 'yes' }] }),
    path: 'p/s',
    says: /operator Exists takes no value/,
  },
  {
    rule: 'toleration Equal without key',
    setup: (a) => step(pipeline(a), 's', { tolerations: [{ operator: 'Equal', value: 'yes' }] }),
    path: 'p/s',
    says: /operator Equal needs a key/,
  },
  {
    rule: 'retry limit out of range',
    setup: (a) => step(pipeline(a), 's', { retry: { limit: 1000 } }),
    path: 'p/s',
    says: /retry.limit must be a whole number from 0 to 100, not 1000/,
  },
  {
    rule: 'retry backoff factor below 1',
    setup: (a) => step(pipeline(a), 's', { retry: { limit: 2, backoffFactor: 0.5 } }),
    path: 'p/s',
    says: /retry.backoffFactor must be at least 1/,
  },
  {
    rule: 'retry max backoff below backoff',
    setup: (a) => step(pipeline(a), 's', { retry: { limit: 2, backoffSeconds: 60, maxBackoffSeconds: 10 } }),
    path: 'p/s',
    says: /retry.maxBackoffSeconds must be at least retry.backoffSeconds/,
  },
  {
    rule: 'step timeout of zero',
    setup: (a) => step(pipeline(a), 's', { timeout: Duration.seconds(0) }),
    path: 'p/s',
    says: /timeout must be longer than zero/,
  },
  {
    rule: 'service account invalid',
    setup: (a) => step(pipeline(a), 's', { serviceAccount: 'Runner!' }),
    path: 'p/s',
    says: /serviceAccount 'Runner!' must be a DNS-1123 subdomain/,
  },
  {
    rule: 'unknown pipeline parameter',
    setup: (a) => {
      const p = pipeline(a, { parameters: { epochs: { type: 'int' } } });
      step(p, 's', { args: [p.param('epoch')] });
    },
    path: 'p/s',
    says: /args\[0\]: pipeline parameter 'epoch' does not exist.*known: 'epochs'/,
  },
  {
    rule: 'parameter of another pipeline',
    setup: (a) => {
      const q = pipeline(a, { parameters: { x: { type: 'string' } } }, 'q');
      step(q, 't');
      step(pipeline(a), 's', { args: [q.param('x')] });
    },
    path: 'p/s',
    says: /parameter 'x' belongs to pipeline 'q'; use this pipeline's param\(\)/,
  },
  {
    rule: 'unknown output parameter',
    setup: (a) => {
      const p = pipeline(a);
      const t = step(p, 't', { outputs: { score: 'float' } });
      step(p, 's', { args: [t.output('scor')] });
    },
    path: 'p/s',
    says: /step 't' has no output parameter 'scor'.*known: 'score'/,
  },
  {
    rule: 'unknown output artifact',
    setup: (a) => {
      const p = pipeline(a);
      const t = step(p, 't', { outputArtifacts: { model: 'Model' } });
      step(p, 's', { inputArtifacts: { m: t.artifact('modle') } });
    },
    path: 'p/s',
    says: /inputArtifacts.m: step 't' has no output artifact 'modle'.*known: 'model'/,
  },
  {
    rule: 'artifact used as a parameter argument',
    setup: (a) => {
      const p = pipeline(a);
      const t = step(p, 't', { outputArtifacts: { model: 'Model' } });
      step(p, 's', { args: [t.artifact('model') as never] });
    },
    path: 'p/s',
    says: /args\[0\]: artifact 'model' cannot be used as an argument; pass it in inputArtifacts/,
  },
  {
    rule: 'output of a step in another pipeline',
    setup: (a) => {
      const q = pipeline(a, {}, 'q');
      const t = step(q, 't', { outputs: { x: 'string' } });
      step(pipeline(a), 's', { args: [t.output('x')] });
    },
    path: 'p/s',
    says: /refers to 'q\/t' of another pipeline/,
  },
  {
    rule: 'after() a step of another pipeline',
    setup: (a) => {
      const t = step(pipeline(a, {}, 'q'), 't');
      step(pipeline(a), 's').after(t);
    },
    path: 'p/s',
    says: /refers to 'q\/t' of another pipeline/,
  },
  {
    rule: 'path placeholder names nothing',
    setup: (a) => step(pipeline(a), 's', { args: [outputPath('score')] }),
    path: 'p/s',
    says: /outputPath\('score'\) names nothing in this step's outputs/,
  },
  {
    rule: 'artifact placeholder names nothing',
    setup: (a) => step(pipeline(a), 's', { args: [outputArtifactPath('model'), inputArtifactPath('data')] }),
    path: 'p/s',
    says: /outputArtifactPath\('model'\) names nothing in this step's outputArtifacts/,
  },
  {
    rule: 'loop item outside its loop',
    setup: (a) => {
      const p = pipeline(a);
      const l = new ParallelFor(p, 'each', { items: [1, 2] });
      step(l, 'in');
      step(p, 's', { args: [l.item()] });
    },
    path: 'p/s',
    says: /the item of loop 'p\/each' is only available to steps inside that loop/,
  },
  {
    rule: 'ordering comparison of strings',
    setup: (a) => {
      const p = pipeline(a, { parameters: { mode: { type: 'string' } } });
      step(p, 's', { when: gt(p.param('mode'), 'b') });
    },
    path: 'p/s',
    says: /when: '>' compares numbers, but the operands are string and string/,
  },
  {
    rule: 'comparison of different types',
    setup: (a) => {
      const p = pipeline(a, { parameters: { flag: { type: 'bool' } } });
      step(new Condition(p, 'g', { when: eq(p.param('flag'), 'yes') }), 's');
    },
    path: 'p/g',
    says: /when: compares a bool with a string; both sides must have the same type/,
  },
  {
    rule: 'loop over a non-list',
    setup: (a) => {
      const p = pipeline(a, { parameters: { n: { type: 'int' } } });
      step(new ParallelFor(p, 'each', { items: p.param('n') }), 's');
    },
    path: 'p/each',
    says: /items must be a list.*not an int/,
  },
  {
    rule: 'loop over an empty list',
    setup: (a) => step(new ParallelFor(pipeline(a), 'each', { items: [] }), 's'),
    path: 'p/each',
    says: /items is an empty list/,
  },
  {
    rule: 'loop parallelism below 1',
    setup: (a) => step(new ParallelFor(pipeline(a), 'each', { items: [1], parallelism: 0 }), 's'),
    path: 'p/each',
    says: /parallelism must be a whole number of at least 1, not 0/,
  },
  {
    rule: 'dependency cycle',
    setup: (a) => {
      const p = pipeline(a);
      const x = step(p, 'x');
      const y = step(p, 'y').after(x);
      x.after(y);
    },
    path: 'p/x',
    says: /dependency cycle: x -> y -> x/,
  },
  {
    rule: 'reading an output from inside a condition',
    setup: (a) => {
      const p = pipeline(a);
      const t = step(new Condition(p, 'g', { when: eq('a', 'a') }), 't', { outputs: { x: 'string' } });
      step(p, 's', { args: [t.output('x')] });
    },
    path: 'p/s',
    says: /reads an output of 't', which runs inside 'g'.*move this step into 'g', or depend on it with after\(\)/,
  },
  {
    rule: 'exit handler reads another step',
    setup: (a) => {
      const p = pipeline(a);
      const t = step(p, 't', { outputs: { x: 'string' } });
      p.onExit(step(p, 'done', { args: [t.output('x')] }));
    },
    path: 'p/done',
    says: /the exit handler runs whether or not other steps ran.*pass pipeline parameters instead/,
  },
  {
    rule: 'step depends on the exit handler',
    setup: (a) => {
      const p = pipeline(a);
      const done = step(p, 'done');
      p.onExit(done);
      step(p, 's').after(done);
    },
    path: 'p/s',
    says: /depends on the exit handler 'done'/,
  },
  {
    rule: 'exit handler not a direct child',
    setup: (a) => {
      const p = pipeline(a);
      p.onExit(step(new Condition(p, 'g', { when: eq('a', 'a') }), 'done'));
    },
    path: 'p',
    says: /onExit\(\): 'p\/g\/done' must be a ContainerStep created directly in this pipeline/,
  },
  {
    rule: 'environment inside a pipeline',
    setup: (a) => {
      const p = pipeline(a);
      step(p, 's');
      new Environment(p, 'inner', envProps());
    },
    path: 'p/inner',
    says: /an Environment cannot sit inside pipeline 'p'/,
  },
  {
    rule: 'pipeline nested in a pipeline',
    setup: (a) => {
      const p = pipeline(a);
      step(p, 's');
      new Pipeline(p, 'inner');
    },
    path: 'p/inner',
    says: /a Pipeline cannot sit inside pipeline 'p'; create it at the app's top level/,
  },
];

const ENVIRONMENT_CASES: Case[] = [
  {
    rule: 'environment name not DNS-1123',
    setup: (a) => {
      new Environment(a, 'Dev_1', envProps());
    },
    path: 'Dev_1',
    says: /environment name 'Dev_1' must be a DNS-1123 label/,
  },
  {
    rule: 'namespace not DNS-1123',
    setup: withEnv({ namespace: 'ML_Dev' }),
    path: 'bad',
    says: /namespace 'ML_Dev' must be a DNS-1123 label.*'ml-dev'/,
  },
  {
    rule: 'endpoint not a URL',
    setup: withEnv({ endpoints: { lakefs: 'lakefs:8000', mlflow: 'http://mlflow:5000', s3: 'http://minio:9000' } }),
    path: 'bad',
    says: /endpoints.lakefs 'lakefs:8000' is not an http\(s\) URL/,
  },
  {
    rule: 'credentials in a URL',
    setup: withEnv({
      endpoints: { lakefs: 'http://admin:hunter2@lakefs:8000', mlflow: 'http://mlflow:5000', s3: 'http://minio:9000' },
    }),
    path: 'bad',
    says: /endpoints.lakefs 'lakefs:8000' must not carry credentials; reference a Secret instead/,
  },
  {
    rule: 'bucket name invalid',
    setup: withEnv({ artifactRepository: { bucket: 'My_Bucket', credentials: { secret: 'minio' } } }),
    path: 'bad',
    says: /artifactRepository.bucket 'My_Bucket' is not an S3 bucket name/,
  },
  {
    rule: 'key prefix with a leading slash',
    setup: withEnv({ artifactRepository: { bucket: 'dfp', keyPrefix: '/runs', credentials: { secret: 'minio' } } }),
    path: 'bad',
    says: /keyPrefix '\/runs' must not start or end with '\/'/,
  },
  {
    rule: 'credentials secret without key',
    setup: withEnv({ artifactRepository: { bucket: 'dfp', credentials: { secret: 'minio', accessKeyKey: '' } } }),
    path: 'bad',
    says: /secret 'minio' needs a key/,
  },
  {
    rule: 'git URL not a repository URL',
    setup: withEnv({ gitops: { repoURL: 'ftp://example.com/repo' } }),
    path: 'bad',
    says: /gitops.repoURL 'ftp:\/\/example.com\/repo' must be an https:\/\/, ssh:\/\/ or git@ repository URL/,
  },
  {
    rule: 'empty git revision',
    setup: withEnv({ gitops: { repoURL: 'https://example.com/r.git', targetRevision: ' ' } }),
    path: 'bad',
    says: /gitops.targetRevision must name a branch, tag or commit/,
  },
  {
    rule: 'duplicate environment name',
    setup: (a) => {
      new Environment(a, 'twin', envProps());
      new Environment(new Pipeline(a, 'holder'), 'twin', envProps());
    },
    path: 'holder/twin',
    says: /duplicate environment name 'twin'/,
  },
  {
    rule: 'image :latest under no-latest',
    setup: (a) => step(pipeline(a), 's', { image: 'registry.dfp.internal/x:latest' }),
    path: 'p/s',
    says: /forbids untagged and ':latest' images \(imageTagPolicy 'no-latest'\); give it a version tag or a digest/,
  },
  {
    rule: 'image without digest under digest policy',
    setup: (a) => {
      withEnv({ imageTagPolicy: 'digest' })(a);
      step(pipeline(a), 's');
    },
    path: 'p/s',
    says: /has no digest, but environment 'bad' requires one/,
  },
];

describe('validation catalogue: each rule names the construct path and what to change', () => {
  for (const c of [...PIPELINE_CASES, ...ENVIRONMENT_CASES]) {
    it(c.rule, () => {
      const app = testApp();
      c.setup(app);
      const result = modelOrError(app);
      expect(result, 'the app should have been rejected').toBeInstanceOf(DfpError);
      const problems = (result as DfpError).problems;
      const match = problems.find((p) => c.says.test(p.message));
      expect(match, `no problem says ${c.says}; got:\n${(result as DfpError).message}`).toBeDefined();
      expect(match!.path).toBe(c.path);
      expect((result as DfpError).message).toContain(`  ${c.path}: `);
    });
  }

  it('an app with no environment is told to add one, at the app path', () => {
    const app = testApp(false);
    step(pipeline(app), 's');
    const e = modelOrError(app) as DfpError;
    expect(e.problems.map((p) => [p.path, p.message.slice(0, 27)])).toEqual([['(app)', 'no Environment is defined; ']]);
  });

  it('collects every problem in one pass, in a stable order', () => {
    const build = () => {
      const app = testApp();
      const p = pipeline(app, { parameters: { epochs: { type: 'int', default: 'ten' } } });
      step(p, 'a', { resources: Resources.fixed('lots', '1Gi') });
      step(p, 'b', { image: 'x y', retry: { limit: -1 } });
      return modelOrError(app) as DfpError;
    };
    const first = build();
    expect(first.problems.map((p) => [p.path, p.message.split(' ')[0]])).toEqual([
      ['p', 'parameter'],
      ['p/a', 'resources.requests.cpu'],
      ['p/a', 'resources.limits.cpu'],
      ['p/b', 'image'],
      ['p/b', 'retry.limit'],
    ]);
    expect(first.message).toMatch(/^dfp: .* \(5 problems\):\n/);
    expect(build().message).toBe(first.message);
  });
});
