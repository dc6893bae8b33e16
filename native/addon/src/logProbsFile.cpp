#include "logProbsFile.h"

#include <cstring>

#include "evalMath.h"

namespace lowbit {

namespace {
const char kMagic[8] = {'_', 'l', 'o', 'g', 'i', 't', 's', '_'};
}

bool LogProbsWriter::open(const std::string& path, int nCtx, int nVocab, int nChunk,
                          const std::vector<int32_t>& tokens, std::string& error) {
  path_ = path;
  out_.open(path, std::ios::binary | std::ios::trunc);
  if (!out_) {
    error = "Cannot write the base log-probabilities to " + path + ".";
    return false;
  }
  const int32_t header[3] = {nCtx, nVocab, nChunk};
  out_.write(kMagic, sizeof(kMagic));
  out_.write(reinterpret_cast<const char*>(header), sizeof(header));
  out_.write(reinterpret_cast<const char*>(tokens.data()),
             std::streamsize(size_t(nChunk) * nCtx * sizeof(int32_t)));
  if (!out_) {
    error = "Writing " + path + " failed (is the disk full?).";
    return false;
  }
  return true;
}

bool LogProbsWriter::writeChunk(const std::vector<uint16_t>& rows, std::string& error) {
  out_.write(reinterpret_cast<const char*>(rows.data()),
             std::streamsize(rows.size() * sizeof(uint16_t)));
  if (!out_) {
    error = "Writing " + path_ + " failed (is the disk full?).";
    return false;
  }
  return true;
}

bool LogProbsWriter::close(std::string& error) {
  out_.close();
  if (out_.fail()) {
    error = "Finishing " + path_ + " failed (is the disk full?).";
    return false;
  }
  return true;
}

bool LogProbsReader::open(const std::string& path, std::string& error) {
  path_ = path;
  in_.open(path, std::ios::binary);
  if (!in_) {
    error = "Cannot read the base log-probabilities " + path + ".";
    return false;
  }
  char magic[8];
  int32_t header[3];
  in_.read(magic, sizeof(magic));
  in_.read(reinterpret_cast<char*>(header), sizeof(header));
  if (!in_ || std::memcmp(magic, kMagic, sizeof(magic)) != 0) {
    error = path + " is not a log-probability file (llama-perplexity's _logits_ format).";
    return false;
  }
  nCtx_ = header[0];
  nVocab_ = header[1];
  nChunk_ = header[2];
  if (nCtx_ < 16 || nVocab_ < 1 || nChunk_ < 1 || nChunk_ > (1 << 24)) {
    error = path + " has an impossible header (context " + std::to_string(nCtx_) + ", vocabulary " +
            std::to_string(nVocab_) + ", chunks " + std::to_string(nChunk_) + ").";
    return false;
  }
  tokens_.resize(size_t(nCtx_) * nChunk_);
  in_.read(reinterpret_cast<char*>(tokens_.data()),
           std::streamsize(tokens_.size() * sizeof(int32_t)));
  if (!in_) {
    error = path + " ends before its tokens do.";
    return false;
  }
  return true;
}

bool LogProbsReader::readChunk(std::vector<uint16_t>& rows, std::string& error) {
  rows.resize(size_t(scoredPerChunk(nCtx_)) * logProbStride(nVocab_));
  in_.read(reinterpret_cast<char*>(rows.data()), std::streamsize(rows.size() * sizeof(uint16_t)));
  if (!in_) {
    error = path_ + " ends before its last chunk.";
    return false;
  }
  return true;
}

}  // namespace lowbit
