//! Independent pieces of work spread over a few threads, their answers kept in order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// How many threads CPU-bound work uses: the cores the process may run on, at most eight
/// (beyond that, reading and allocating stop scaling for the sizes ehdeploy handles).
pub(crate) fn cpu_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `f` applied to every item, on at most `threads` threads (the calling thread is one of
/// them); the answers in the items' order.
///
/// Each thread takes the next item not yet taken, so a slow item does not hold the others
/// back. When no thread can be started, the calling thread does all the work. A panic in `f`
/// goes on to the caller, so no item is ever left out of the answer.
pub(crate) fn map<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        // A thread's share, most often; a thread that takes more grows it once or twice.
        let mut mine = Vec::with_capacity(items.len().div_ceil(threads));
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                break;
            };
            mine.push((i, f(item)));
        }
        mine
    };
    let mut parts = Vec::with_capacity(threads);
    std::thread::scope(|scope| {
        let work = &work;
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        parts.push(work().into_iter().peekable());
        for helper in helpers {
            let mine = helper
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            parts.push(mine.into_iter().peekable());
        }
    });
    // Each thread took its items in increasing order, so the answers are merged in order,
    // each moved once: the next answer is at the head of one of the parts.
    let mut answers = Vec::with_capacity(items.len());
    while let Some((_, answer)) = parts.iter_mut().find_map(|part| {
        let at = answers.len();
        part.next_if(|(i, _)| *i == at)
    }) {
        answers.push(answer);
    }
    answers
}

/// [`map`] for items the work takes ownership of.
pub(crate) fn map_owned<T, R, F>(items: Vec<T>, threads: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    // Each slot is taken once, by the thread that claims its index.
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    map(&slots, threads, |slot| {
        let item = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        item.map(&f)
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_in_the_items_order_once_each() {
        let items: Vec<usize> = (0..1_003).collect();
        for threads in [0, 1, 2, 3, 8, 5_000] {
            let calls = AtomicUsize::new(0);
            let answers = map(&items, threads, |&i| {
                calls.fetch_add(1, Ordering::Relaxed);
                i * 2
            });
            let expected: Vec<usize> = items.iter().map(|i| i * 2).collect();
            assert_eq!(answers, expected, "{threads} threads");
            assert_eq!(
                calls.load(Ordering::Relaxed),
                items.len(),
                "{threads} threads"
            );
        }
        assert!(map(&[] as &[u8], 4, |_| 0).is_empty());
    }

    #[test]
    fn owned_items_are_each_taken_once_in_order() {
        let items: Vec<String> = (0..257).map(|i| i.to_string()).collect();
        for threads in [1, 2, 7] {
            let answers = map_owned(items.clone(), threads, |s| s + "!");
            let expected: Vec<String> = items.iter().map(|s| format!("{s}!")).collect();
            assert_eq!(answers, expected, "{threads} threads");
        }
    }

    #[test]
    fn zero_sized_items_keep_their_places() {
        let items = [(); 100];
        let counter = AtomicUsize::new(0);
        let answers = map(&items, 4, |_| counter.fetch_add(1, Ordering::Relaxed));
        let mut sorted = answers.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller() {
        let items: Vec<usize> = (0..100).collect();
        let caught = std::panic::catch_unwind(|| {
            map(&items, 3, |&i| {
                assert!(i != 57, "item 57");
                i
            })
        });
        assert!(caught.is_err());
    }
}
