#include "serving/scheduler.h"

#include <algorithm>
#include <cassert>

namespace parley::serving {

Scheduler::Scheduler(SchedulerConfig config, BlockPool& pool, PrefixCache& prefixCache)
    : config_(config), pool_(pool), kvCache_(pool, prefixCache) {}

std::span<const TokenId> Scheduler::tokens(RequestId id) const {
    const auto it = requests_.find(id);
    return it == requests_.end() ? std::span<const TokenId>() : it->second.tokens;
}

int32_t Scheduler::numComputed(RequestId id) const {
    const auto it = requests_.find(id);
    return it == requests_.end() ? 0 : it->second.computed;
}

bool Scheduler::fitsInPool(size_t tokens) const {
    return (int64_t(tokens) + kBlockSize - 1) / kBlockSize <= pool_.numBlocks();
}

AddResult Scheduler::add(NewRequest request) {
    if (request.prompt.empty() || request.maxNewTokens <= 0 || requests_.contains(request.id) ||
        !fitsInPool(request.prompt.size() + size_t(request.maxNewTokens))) {
        return AddResult::Invalid;
    }
    if (numWaiting_ >= config_.maxWaiting) {
        return AddResult::Overloaded;
    }
    Request& r = requests_[request.id];
    r.id = request.id;
    r.user = std::move(request.user);
    r.priority = request.priority;
    r.arrival = nextArrival_++;
    r.promptLength = int32_t(request.prompt.size());
    r.tokens = std::move(request.prompt);
    r.maxNewTokens = request.maxNewTokens;
    r.eos = request.eos;
    enqueueWaiting(r, false);
    return AddResult::Accepted;
}

AddResult Scheduler::fork(RequestId parentId, RequestId childId, int32_t maxNewTokens) {
    const auto parent = requests_.find(parentId);
    if (parent == requests_.end() || parent->second.state == State::Cancelled ||
        requests_.contains(childId) || maxNewTokens <= 0 ||
        !fitsInPool(parent->second.tokens.size() + size_t(maxNewTokens))) {
        return AddResult::Invalid;
    }
    const bool shareBlocks =
        parent->second.state == State::Running && int32_t(running_.size()) < config_.maxRunning;
    if (!shareBlocks && numWaiting_ >= config_.maxWaiting) {
        return AddResult::Overloaded;
    }
    Request child = parent->second;
    child.id = childId;
    child.arrival = nextArrival_++;
    child.promptLength = int32_t(child.tokens.size());
    child.maxNewTokens = maxNewTokens;
    if (shareBlocks) {
        kvCache_.fork(parentId, childId);
        running_.push_back(childId);
        requests_.emplace(childId, std::move(child));
    } else {
        child.computed = 0;
        child.state = State::Waiting;
        enqueueWaiting(requests_.emplace(childId, std::move(child)).first->second, false);
    }
    return AddResult::Accepted;
}

bool Scheduler::cancel(RequestId id) {
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second.state == State::Cancelled) {
        return false;
    }
    Request& r = it->second;
    if (r.state == State::Waiting) {
        WaitingClass& cls = waiting_[int(r.priority)];
        auto& queue = cls.byUser[r.user];
        queue.erase(std::find(queue.begin(), queue.end(), id));
        --numWaiting_;
        if (queue.empty()) {
            cls.byUser.erase(r.user);
            cls.userTurns.erase(std::find(cls.userTurns.begin(), cls.userTurns.end(), r.user));
        }
    } else {
        running_.erase(std::find(running_.begin(), running_.end(), id));
    }
    kvCache_.free(id, r.tokens, r.computed);
    r.state = State::Cancelled;
    pendingCancelled_.push_back(id);
    return true;
}

void Scheduler::enqueueWaiting(const Request& request, bool atFront) {
    WaitingClass& cls = waiting_[int(request.priority)];
    auto& queue = cls.byUser[request.user];
    if (queue.empty()) {
        if (atFront) {
            cls.userTurns.push_front(request.user);
        } else {
            cls.userTurns.push_back(request.user);
        }
    }
    if (atFront) {
        queue.push_front(request.id);
    } else {
        queue.push_back(request.id);
    }
    ++numWaiting_;
}

std::optional<RequestId> Scheduler::peekWaiting() const {
    for (const WaitingClass& cls : waiting_) {
        if (!cls.userTurns.empty()) {
            return cls.byUser.at(cls.userTurns.front()).front();
        }
    }
    return std::nullopt;
}

void Scheduler::popWaiting(RequestId id) {
    WaitingClass& cls = waiting_[int(requests_.at(id).priority)];
    const std::string user = cls.userTurns.front();
    auto& queue = cls.byUser[user];
    assert(queue.front() == id);
    queue.pop_front();
    --numWaiting_;
    cls.userTurns.pop_front();
    if (queue.empty()) {
        cls.byUser.erase(user);
    } else {
        cls.userTurns.push_back(user);  // the user's next request waits for every other user's turn
    }
}

void Scheduler::dropCancelled(SchedulerOutput& out) {
    for (RequestId id : pendingCancelled_) {
        requests_.erase(id);
    }
    out.cancelled = std::move(pendingCancelled_);
    pendingCancelled_.clear();
}

Scheduler::Work Scheduler::workOf(const Request& request) const {
    const int32_t remaining = int32_t(request.tokens.size()) - request.computed;
    if (remaining == 1) {
        return Work::Decode;
    }
    return remaining <= config_.tokenBudget ? Work::ShortPrompt : Work::LongPrompt;
}

std::vector<RequestId> Scheduler::runningInOrder(Work work) const {
    std::vector<RequestId> order;
    for (RequestId id : running_) {
        if (workOf(requests_.at(id)) == work) {
            order.push_back(id);
        }
    }
    std::sort(order.begin(), order.end(), [this](RequestId a, RequestId b) {
        const Request& ra = requests_.at(a);
        const Request& rb = requests_.at(b);
        return std::pair(ra.priority, ra.arrival) < std::pair(rb.priority, rb.arrival);
    });
    return order;
}

SchedulerOutput Scheduler::schedule() {
    SchedulerOutput out;
    dropCancelled(out);
    Plan plan;
    plan.budget = config_.tokenBudget;
    scheduleRunning(plan, Work::Decode);
    // A step of more decodes costs more, so it hides proportionally more prompt work.
    const int64_t decodes = int64_t(plan.scheduled.size());
    plan.promptCapped = decodes > 0;
    plan.promptCostLeft =
        promptTokenCost(0) *
        std::max<int64_t>(config_.prefillCostWhileDecoding, config_.prefillCostPerDecode * decodes);
    scheduleRunning(plan, Work::ShortPrompt);
    // Blocks just ran out for running requests: admitting new ones would only preempt again.
    if (plan.preempted.empty()) {
        scheduleWaiting(plan);
    }
    scheduleRunning(plan, Work::LongPrompt);
    for (size_t i = 0; i < plan.scheduled.size(); ++i) {
        const int32_t n = int32_t(plan.scheduled[i].tokens.size());
        out.totalTokens += n;
        out.decodeTokens += plan.scheduled[i].decodes ? n : 0;
        out.copies.insert(out.copies.end(), plan.copies[i].begin(), plan.copies[i].end());
    }
    out.scheduled = std::move(plan.scheduled);
    out.preempted = std::move(plan.preempted);
    assert(out.totalTokens <= config_.tokenBudget);
    return out;
}

int64_t Scheduler::promptTokenCost(int32_t position) const {
    const int64_t a = config_.attentionCostPositions;
    return a > 0 ? a + position : 1;
}

int32_t Scheduler::promptChunk(const Plan& plan, int32_t position, int32_t remaining) const {
    const int32_t n = std::min(remaining, plan.budget);
    if (!plan.promptCapped || config_.prefillCostWhileDecoding <= 0) {
        return n;
    }
    const int64_t affordable = plan.promptCostLeft / promptTokenCost(position);
    return int32_t(std::min<int64_t>(n, affordable));
}

void Scheduler::chargePrompt(Plan& plan, int32_t position, int32_t tokens) const {
    if (plan.promptCapped) {
        plan.promptCostLeft -= int64_t(tokens) * promptTokenCost(position);
    }
    plan.promptCapped = true;
}

void Scheduler::scheduleRunning(Plan& plan, Work work) {
    const bool decoding = work == Work::Decode;
    for (RequestId id : runningInOrder(work)) {
        if (plan.budget == 0) {
            return;
        }
        Request& r = requests_.at(id);
        if (r.state != State::Running) {
            continue;  // preempted earlier in this step
        }
        const int32_t remaining = int32_t(r.tokens.size()) - r.computed;
        if (decoding) {
            tryAllocate(plan, r, 1);
            continue;
        }
        const int32_t n = promptChunk(plan, r.computed, remaining);
        if (n == 0) {
            return;
        }
        if (tryAllocate(plan, r, n)) {
            chargePrompt(plan, r.computed, n);
        }
    }
}

void Scheduler::scheduleWaiting(Plan& plan) {
    while (plan.budget > 0 && int32_t(running_.size()) < config_.maxRunning) {
        const std::optional<RequestId> next = peekWaiting();
        if (!next || promptChunk(plan, 0, 1) == 0) {
            return;  // nobody waits, or not even one token at position 0 is affordable
        }
        Request& r = requests_.at(*next);
        r.computed = kvCache_.admit(r.id, r.tokens);
        const int32_t n = promptChunk(plan, r.computed, int32_t(r.tokens.size()) - r.computed);
        std::optional<std::vector<BlockCopy>> copies;
        if (n > 0) {
            copies = kvCache_.allocateSlots(r.id, r.computed, n);
        }
        if (!copies) {
            // Out of prompt cost, or the head of line waits for blocks (admitting smaller
            // requests past it would starve it).
            kvCache_.free(r.id);
            r.computed = 0;
            return;
        }
        popWaiting(r.id);
        r.state = State::Running;
        running_.push_back(r.id);
        chargePrompt(plan, r.computed, n);
        addToPlan(plan, r, n, std::move(*copies));
    }
}

void Scheduler::addToPlan(Plan& plan, const Request& request, int32_t newTokens,
                          std::vector<BlockCopy> copies) {
    ScheduledRequest chunk;
    chunk.id = request.id;
    chunk.startPosition = request.computed;
    const auto first = request.tokens.begin() + request.computed;
    chunk.tokens.assign(first, first + newTokens);
    chunk.samples = request.computed + newTokens == int32_t(request.tokens.size());
    chunk.decodes = newTokens == 1 && request.computed >= request.promptLength;
    // Only this request's own allocation changes its table, so it is final for the step now.
    const auto table = kvCache_.blockTable(request.id);
    const size_t covered = size_t(request.computed + newTokens);
    chunk.blockTable.assign(
        table.begin(), table.begin() + std::ptrdiff_t((covered + kBlockSize - 1) / kBlockSize));
    plan.scheduled.push_back(std::move(chunk));
    plan.copies.push_back(std::move(copies));
    plan.budget -= newTokens;
}

bool Scheduler::tryAllocate(Plan& plan, Request& request, int32_t newTokens) {
    for (;;) {
        std::optional<std::vector<BlockCopy>> copies =
            kvCache_.allocateSlots(request.id, request.computed, newTokens);
        if (copies) {
            addToPlan(plan, request, newTokens, std::move(*copies));
            return true;
        }
        // Victim: lowest priority, then latest arrival, among all running requests.
        RequestId victim = request.id;
        for (RequestId id : running_) {
            const Request& r = requests_.at(id);
            const Request& v = requests_.at(victim);
            if (std::pair(r.priority, r.arrival) > std::pair(v.priority, v.arrival)) {
                victim = id;
            }
        }
        preempt(plan, victim);
        if (victim == request.id) {
            return false;
        }
    }
}

void Scheduler::preempt(Plan& plan, RequestId victim) {
    Request& r = requests_.at(victim);
    for (size_t i = 0; i < plan.scheduled.size(); ++i) {
        if (plan.scheduled[i].id == victim) {
            plan.budget += int32_t(plan.scheduled[i].tokens.size());
            plan.scheduled.erase(plan.scheduled.begin() + std::ptrdiff_t(i));
            plan.copies.erase(plan.copies.begin() + std::ptrdiff_t(i));
            break;
        }
    }
    kvCache_.free(victim, r.tokens, r.computed);
    running_.erase(std::find(running_.begin(), running_.end(), victim));
    r.computed = 0;
    r.state = State::Waiting;
    enqueueWaiting(r, true);
    plan.preempted.push_back(victim);
}

std::vector<FinishedRequest> Scheduler::onStepDone(const SchedulerOutput& step,
                                                   std::span<const SampledToken> sampled) {
    for (const ScheduledRequest& s : step.scheduled) {
        const auto it = requests_.find(s.id);
        if (it == requests_.end() || it->second.state != State::Running ||
            it->second.computed != s.startPosition) {
            continue;  // cancelled or preempted since it was scheduled
        }
        Request& r = it->second;
        r.computed += int32_t(s.tokens.size());
        kvCache_.cacheFullBlocks(r.id, r.tokens, r.computed);
    }
    std::vector<FinishedRequest> finished;
    for (const SampledToken& s : sampled) {
        const auto it = requests_.find(s.id);
        if (it == requests_.end() || it->second.state != State::Running ||
            it->second.computed != int32_t(it->second.tokens.size())) {
            continue;
        }
        Request& r = it->second;
        r.tokens.push_back(s.token);
        const bool stop = r.eos && s.token == *r.eos;
        const bool length = int32_t(r.tokens.size()) - r.promptLength >= r.maxNewTokens;
        if (!stop && !length) {
            continue;
        }
        finished.push_back({.id = r.id,
                            .reason = stop ? FinishReason::Stop : FinishReason::Length,
                            .generated = {r.tokens.begin() + r.promptLength, r.tokens.end()}});
        finish(r);
    }
    return finished;
}

void Scheduler::finish(Request& request) {
    const RequestId id = request.id;
    kvCache_.free(id, request.tokens, request.computed);
    running_.erase(std::find(running_.begin(), running_.end(), id));
    requests_.erase(id);
}

}  // namespace parley::serving
