#include "evalRunner.h"

#include <algorithm>
#include <chrono>

namespace lowbit {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void addToken(llama_batch& batch, llama_token token, llama_pos pos, llama_seq_id seq, bool logits) {
  const int at = batch.n_tokens++;
  batch.token[at] = token;
  batch.pos[at] = pos;
  batch.n_seq_id[at] = 1;
  batch.seq_id[at][0] = seq;
  batch.logits[at] = logits;
}

}  // namespace

bool EvalRunner::run(int threads, LogProbsWriter* writer, LogProbsReader* reader,
                     EvalOutcome& out, EvalFailure& failure) {
  const llama_vocab* vocab = llama_model_get_vocab(model_);
  const int nVocab = llama_vocab_n_tokens(vocab);
  const int nCtx = plan_.nCtx;
  const int first = nCtx / 2;
  const int scored = scoredPerChunk(nCtx);
  const int stride = logProbStride(nVocab);

  // llama-perplexity runs batch / n_ctx chunks per round; a large vocabulary's logits for that
  // many sequences can take gigabytes, so fewer run side by side there (same numbers, less RAM).
  const size_t logitsPerSequence = size_t(nCtx - first) * nVocab * sizeof(float);
  int sequences = std::max(1, plan_.batch / nCtx);
  sequences = std::min<int>(sequences,
                            int(std::max<size_t>(1, plan_.logitsBudgetBytes / logitsPerSequence)));
  sequences = std::min(sequences, plan_.chunks);
  const int nBatch = std::min(plan_.batch, sequences * nCtx);
  const int batchesPerChunk = (nCtx + nBatch - 1) / nBatch;
  out.sequences = sequences;

  llama_context_params cparams = llama_context_default_params();
  cparams.n_ctx = sequences * nCtx;
  cparams.n_batch = nBatch;
  cparams.n_ubatch = std::min(512, nBatch);
  cparams.n_seq_max = sequences;
  cparams.n_threads = threads;
  cparams.n_threads_batch = threads;
  cparams.abort_callback = [](void* flag) {
    return static_cast<std::atomic<bool>*>(flag)->load();
  };
  cparams.abort_callback_data = cancel_;
  cparams.no_perf = true;
  llama_context* ctx = llama_init_from_model(model_, cparams);
  if (ctx == nullptr) {
    failure = {"failed", "llama.cpp could not create a context of " +
                             std::to_string(cparams.n_ctx) + " tokens for the evaluation."};
    return false;
  }
  llama_batch batch = llama_batch_init(std::min(nBatch, nCtx * sequences), 0, 1);

  std::vector<float> gathered;
  if (batchesPerChunk > 1) {
    gathered.reserve(size_t(nCtx - first) * nVocab);
  }
  std::vector<uint16_t> rows;
  if (plan_.mode == EvalMode::SaveBase) {
    rows.resize(size_t(scored) * stride);
  }
  if (plan_.mode == EvalMode::CompareToBase) {
    out.kldValues.resize(size_t(scored) * plan_.chunks);
    out.pDiffValues.resize(size_t(scored) * plan_.chunks);
  }
  std::vector<EvalSums> local(plan_.extraThreads + 1);
  std::vector<double> localNll(plan_.extraThreads + 1), localNll2(plan_.extraThreads + 1);
  std::string error;
  bool ok = true;

  for (int i = 0; i < plan_.chunks && ok; i += sequences) {
    const int round = std::min(sequences, plan_.chunks - i);
    if (!decodeRound(ctx, batch, i, round, gathered, out)) {
      ok = false;
      failure = cancel_->load()
                    ? EvalFailure{"cancelled", "Cancelled."}
                    : EvalFailure{"failed", "llama.cpp failed to evaluate chunk " +
                                                std::to_string(i + 1) + "."};
      break;
    }
    for (int seq = 0; seq < round && ok; ++seq) {
      const float* logits = batchesPerChunk > 1 ? gathered.data()
                                                : llama_get_logits_ith(ctx, seq * nCtx + first);
      const int chunk = i + seq;
      const int32_t* tokens = tokens_.data() + size_t(chunk) * nCtx + first;
      std::fill(localNll.begin(), localNll.end(), 0.0);
      std::fill(localNll2.begin(), localNll2.end(), 0.0);
      switch (plan_.mode) {
        case EvalMode::Plain:
          parallelFor(scored, plan_.extraThreads, [&](int worker, int t) {
            const double nll = negativeLogLikelihood(nVocab, logits + size_t(t) * nVocab, tokens[t + 1]);
            localNll[worker] += nll;
            localNll2[worker] += nll * nll;
          });
          break;
        case EvalMode::SaveBase:
          parallelFor(scored, plan_.extraThreads, [&](int worker, int t) {
            const double nll = quantizeLogProbs(nVocab, logits + size_t(t) * nVocab,
                                                rows.data() + size_t(t) * stride, tokens[t + 1]);
            localNll[worker] += nll;
            localNll2[worker] += nll * nll;
          });
          ok = writer->writeChunk(rows, error);
          break;
        case EvalMode::CompareToBase: {
          ok = reader->readChunk(rows, error);
          if (!ok) {
            break;
          }
          const size_t offset = size_t(chunk) * scored;
          parallelFor(scored, plan_.extraThreads, [&](int worker, int t) {
            const auto [kld, pDiff] = compareToken(nVocab, logits + size_t(t) * nVocab,
                                                   rows.data() + size_t(t) * stride,
                                                   tokens[t + 1], local[worker]);
            out.kldValues[offset + t] = float(kld);
            out.pDiffValues[offset + t] = pDiff;
          });
          break;
        }
      }
      if (!ok) {
        failure = {"io_error", error};
        break;
      }
      if (plan_.mode != EvalMode::CompareToBase) {
        for (size_t w = 0; w < localNll.size(); ++w) {
          out.sums.nll += localNll[w];
          out.sums.nll2 += localNll2[w];
        }
        out.sums.count += scored;
      }
      onChunk_(chunk + 1, plan_.chunks);
    }
    gathered.clear();
    if (cancel_->load()) {
      ok = false;
      failure = {"cancelled", "Cancelled."};
    }
  }
  if (plan_.mode == EvalMode::CompareToBase) {
    for (const EvalSums& sums : local) {
      out.sums.add(sums);
    }
  }
  if (ok && plan_.decodeTokens > 0) {
    measureDecode(ctx, batch, out);
  }
  llama_batch_free(batch);
  llama_free(ctx);
  return ok;
}

bool EvalRunner::decodeRound(llama_context* ctx, llama_batch& batch, int firstChunk,
                             int sequences, std::vector<float>& gathered, EvalOutcome& out) {
  const llama_vocab* vocab = llama_model_get_vocab(model_);
  const bool addBos = llama_vocab_get_add_bos(vocab);
  const int nVocab = llama_vocab_n_tokens(vocab);
  const int nCtx = plan_.nCtx;
  const int first = nCtx / 2;
  const int nBatch = std::min(plan_.batch, sequences * nCtx);
  const int perBatch = std::max(1, std::min(nBatch, nCtx));
  llama_memory_clear(llama_get_memory(ctx), true);
  for (int start = 0; start < nCtx; start += perBatch) {
    const int size = std::min(nCtx - start, perBatch);
    batch.n_tokens = 0;
    int outputs = 0;
    for (int seq = 0; seq < sequences; ++seq) {
      const size_t chunkStart = size_t(firstChunk + seq) * nCtx;
      for (int k = 0; k < size; ++k) {
        const int pos = start + k;
        // Each chunk starts with BOS where the vocabulary wants one, as in llama-perplexity.
        const llama_token token =
            addBos && pos == 0 ? llama_vocab_bos(vocab) : tokens_[chunkStart + pos];
        addToken(batch, token, pos, seq, pos >= first);
        outputs += pos >= first ? 1 : 0;
      }
    }
    const auto started = Clock::now();
    const int32_t status = llama_decode(ctx, batch);
    llama_synchronize(ctx);
    out.promptSeconds += secondsSince(started);
    out.promptTokens += batch.n_tokens;
    if (status != 0 || cancel_->load()) {
      return false;
    }
    if (nBatch < nCtx && outputs > 0) {
      const float* logits = llama_get_logits(ctx);
      gathered.insert(gathered.end(), logits, logits + size_t(outputs) * nVocab);
    }
  }
  return true;
}

void EvalRunner::measureDecode(llama_context* ctx, llama_batch& batch, EvalOutcome& out) {
  const llama_vocab* vocab = llama_model_get_vocab(model_);
  const int prompt = std::min(32, plan_.nCtx / 4);
  const int count = std::min(plan_.decodeTokens, plan_.nCtx - prompt - 1);
  if (count <= 0) {
    return;
  }
  llama_memory_clear(llama_get_memory(ctx), true);
  batch.n_tokens = 0;
  for (int k = 0; k < prompt; ++k) {
    const llama_token token =
        k == 0 && llama_vocab_get_add_bos(vocab) ? llama_vocab_bos(vocab) : tokens_[k];
    addToken(batch, token, k, 0, k == prompt - 1);
  }
  if (llama_decode(ctx, batch) != 0) {
    return;
  }
  // One token at a time with its logits, as generating does (without sampling, like llama-bench).
  for (int t = 0; t < count && !cancel_->load(); ++t) {
    batch.n_tokens = 0;
    addToken(batch, tokens_[prompt + t], prompt + t, 0, true);
    const auto started = Clock::now();
    const int32_t status = llama_decode(ctx, batch);
    llama_synchronize(ctx);
    out.decodeSeconds += secondsSince(started);
    if (status != 0) {
      return;
    }
    out.decodeTokens++;
  }
}

}  // namespace lowbit
