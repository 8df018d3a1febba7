#include "ledger/executor.h"

#include <algorithm>

namespace tally::ledger {

void TaskGroup::Job::drain() {
  for (;;) {
    const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= count) return;
    task(i);
  }
}

void TaskGroup::help(const std::shared_ptr<Job>& job) {
  {
    const std::lock_guard lock(job->mu);
    if (job->closed) return;  // wait() has run or taken everything: the task may be gone
    ++job->helping;
  }
  job->drain();
  {
    const std::lock_guard lock(job->mu);
    --job->helping;
  }
  job->idle.notify_one();
}

void TaskGroup::run(std::size_t count, std::function<void(std::size_t)> task) {
  job_ = std::make_shared<Job>();
  job_->task = std::move(task);
  job_->count = count;
  // The owner is one of the threads (in wait()); never more helpers than tasks.
  const std::size_t helpers = std::min<std::size_t>(count, executor_.concurrency()) - std::min<std::size_t>(count, 1);
  for (std::size_t h = 0; h < helpers; ++h) executor_.post([job = job_] { help(job); });
}

void TaskGroup::wait() {
  if (!job_) return;
  job_->drain();
  {
    std::unique_lock lock(job_->mu);
    job_->closed = true;
    job_->idle.wait(lock, [&] { return job_->helping == 0; });
    job_->task = nullptr;  // what it holds goes now, on the owner's thread, not with a late helper
  }
  job_.reset();
}

void TaskGroup::skip_rest() {
  if (job_) job_->next.store(job_->count, std::memory_order_relaxed);
}

}  // namespace tally::ledger
