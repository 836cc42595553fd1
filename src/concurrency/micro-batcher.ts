// Coalesces concurrent requests into one batched call. A lone request starts at once (after the
// current microtask, which only gathers requests made in the same tick); requests that arrive
// while a batch is running wait for it to finish and then go together, up to `maxBatchSize`.
// No timer: batching never adds latency beyond the run already in progress.

interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private draining = false;

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly maxBatchSize: number,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      try {
        const outputs = await this.runBatch(batch.map((pending) => pending.input));
        batch.forEach((pending, index) => pending.resolve(outputs[index]!));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.draining = false;
  }
}
