import { Config, Context, Duration, Effect, Layer } from "effect"

/** Settings of the payment service: where the card processor is and how hard to try it. */
export class PaymentConfig extends Context.Service<PaymentConfig, {
  readonly providerUrl: string
  /** Time allowed for one HTTP attempt to the processor. */
  readonly attemptTimeout: Duration.Duration
  /** Retries after the first attempt, for retryable failures only. */
  readonly maxRetries: number
  /** First backoff delay; attempt n waits a random time in [0, min(retryMaxDelay, retryBase * 2^n)]. */
  readonly retryBase: Duration.Duration
  readonly retryMaxDelay: Duration.Duration
  readonly breakerFailureThreshold: number
  readonly breakerCooldown: Duration.Duration
  /** How long an in-flight idempotency record blocks repeats; a crashed holder's lock expires after it. */
  readonly idempotencyLock: Duration.Duration
  readonly reconcileInterval: Duration.Duration
  /**
   * How often an unknown outcome or an unsent refund is asked about again: a backoff from `reconcileBackoffBase`
   * to `reconcileBackoffCap`, without end (only the processor's answer settles money).
   */
  readonly reconcileBackoffBase: Duration.Duration
  readonly reconcileBackoffCap: Duration.Duration
  readonly reconcileBatch: number
  /** Refusals of one refund by the processor before it is parked for an operator. */
  readonly refundMaxAttempts: number
  /** How often the processor's ledger is compared with the payments. */
  readonly ledgerInterval: Duration.Duration
  /** How far back the comparison looks. */
  readonly ledgerWindow: Duration.Duration
  /** Charges younger than this are left to the payments' own settlement before they are compared. */
  readonly ledgerDelay: Duration.Duration
}>()("payment/PaymentConfig") {
  static readonly defaults: PaymentConfig["Service"] = {
    providerUrl: "http://127.0.0.1:8081",
    attemptTimeout: Duration.seconds(2),
    maxRetries: 3,
    retryBase: Duration.millis(100),
    retryMaxDelay: Duration.seconds(2),
    breakerFailureThreshold: 5,
    breakerCooldown: Duration.seconds(30),
    idempotencyLock: Duration.seconds(30),
    reconcileInterval: Duration.seconds(5),
    reconcileBackoffBase: Duration.seconds(2),
    reconcileBackoffCap: Duration.minutes(5),
    reconcileBatch: 100,
    refundMaxAttempts: 8,
    ledgerInterval: Duration.minutes(1),
    ledgerWindow: Duration.hours(24),
    ledgerDelay: Duration.minutes(2)
  }

  /** From the environment; every variable has a default for local development. */
  static readonly layer = Layer.effect(
    PaymentConfig,
    Effect.gen(function*() {
      const d = PaymentConfig.defaults
      const duration = (name: string, fallback: Duration.Duration) =>
        Config.Duration(name).pipe(Config.withDefault(fallback))
      const url = yield* Config.String("PAYMENT_PROVIDER_URL").pipe(
        Config.orElse(() => Config.String("SIMULATOR_URL")),
        Config.withDefault(d.providerUrl)
      )
      return PaymentConfig.of({
        providerUrl: url.replace(/\/+$/, ""),
        attemptTimeout: yield* duration("PROVIDER_ATTEMPT_TIMEOUT", d.attemptTimeout),
        maxRetries: yield* Config.Int("PROVIDER_MAX_RETRIES").pipe(Config.withDefault(d.maxRetries)),
        retryBase: yield* duration("PROVIDER_RETRY_BASE", d.retryBase),
        retryMaxDelay: yield* duration("PROVIDER_RETRY_MAX_DELAY", d.retryMaxDelay),
        breakerFailureThreshold: yield* Config.Int("BREAKER_FAILURE_THRESHOLD").pipe(
          Config.withDefault(d.breakerFailureThreshold)
        ),
        breakerCooldown: yield* duration("BREAKER_COOLDOWN", d.breakerCooldown),
        idempotencyLock: yield* duration("IDEMPOTENCY_LOCK_TIMEOUT", d.idempotencyLock),
        reconcileInterval: yield* duration("RECONCILE_INTERVAL", d.reconcileInterval),
        reconcileBackoffBase: yield* duration("RECONCILE_BACKOFF_BASE", d.reconcileBackoffBase),
        reconcileBackoffCap: yield* duration("RECONCILE_BACKOFF_CAP", d.reconcileBackoffCap),
        reconcileBatch: yield* Config.Int("RECONCILE_BATCH").pipe(Config.withDefault(d.reconcileBatch)),
        refundMaxAttempts: yield* Config.Int("REFUND_MAX_ATTEMPTS").pipe(Config.withDefault(d.refundMaxAttempts)),
        ledgerInterval: yield* duration("LEDGER_RECONCILE_INTERVAL", d.ledgerInterval),
        ledgerWindow: yield* duration("LEDGER_RECONCILE_WINDOW", d.ledgerWindow),
        ledgerDelay: yield* duration("LEDGER_RECONCILE_DELAY", d.ledgerDelay)
      })
    })
  )

  /** Fixed settings, for tests. */
  static readonly layerWith = (overrides: Partial<PaymentConfig["Service"]>) =>
    Layer.succeed(PaymentConfig, PaymentConfig.of({ ...PaymentConfig.defaults, ...overrides }))
}
