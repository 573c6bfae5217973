//! The greedy heuristic used beyond the exact solver's reach, and the baseline policy sourcing is measured
//! against.
//!
//! Heuristic: (a) the cheapest location that alone serves every sku up to its target; (b) a greedy
//! weighted cover: repeatedly add the location with the lowest (package cost + split penalty) per unit it
//! newly serves, then drop locations made redundant, dearest first. The cheaper of (a) and (b) wins
//! (ties: (a)). Both serve exactly the units the exact solver would; only the cost may be higher.
//!
//! Baseline (`nearest_with_everything_else_nearest_per_line`): the nearest location that has everything;
//! else, for each line in order, units from the nearest locations holding its sku until it is served.

use super::problem::Problem;

/// The cheapest single candidate serving every sku up to its target, if any.
pub(crate) fn cheapest_single(p: &Problem) -> Option<usize> {
    (0..p.cands.len()).find(|&j| p.covers(&[j]))
}

/// The heuristic's set of candidates (ascending indices); it covers every target.
pub(crate) fn greedy(p: &Problem) -> Vec<usize> {
    let cover = greedy_cover(p);
    match cheapest_single(p) {
        Some(j) if p.cost_of(&[j]) <= p.cost_of(&cover) => vec![j],
        _ => cover,
    }
}

fn greedy_cover(p: &Problem) -> Vec<usize> {
    let mut covered = vec![0u32; p.demand.len()];
    let mut chosen: Vec<usize> = Vec::new();
    let mut taken = vec![false; p.cands.len()];
    loop {
        let mut best: Option<(usize, i64, u64)> = None;
        for (j, c) in p.cands.iter().enumerate().filter(|(j, _)| !taken[*j]) {
            let gain: u64 = (0..p.demand.len()).map(|k| u64::from(c.atp[k].min(p.target[k] - covered[k]))).sum();
            if gain == 0 {
                continue;
            }
            let weight = c.package_cost() + p.penalty;
            let better =
                best.is_none_or(|(_, w, g)| i128::from(weight) * i128::from(g) < i128::from(w) * i128::from(gain));
            if better {
                best = Some((j, weight, gain));
            }
        }
        let Some((j, _, _)) = best else { break };
        taken[j] = true;
        chosen.push(j);
        for (k, cov) in covered.iter_mut().enumerate() {
            *cov = cov.saturating_add(p.cands[j].atp[k]).min(p.target[k]);
        }
    }
    chosen.sort_unstable_by(|a, b| b.cmp(a));
    let mut i = 0;
    while i < chosen.len() {
        let without: Vec<usize> = chosen.iter().enumerate().filter(|(n, _)| *n != i).map(|(_, &j)| j).collect();
        if p.covers(&without) {
            chosen = without;
        } else {
            i += 1;
        }
    }
    chosen.sort_unstable();
    chosen
}

/// The baseline's assignment: units per candidate and sku.
pub(crate) fn nearest(p: &Problem) -> (Vec<Vec<u32>>, bool) {
    let mut by_distance: Vec<usize> = (0..p.cands.len()).collect();
    by_distance.sort_by_key(|&j| (p.cands[j].miles, p.cands[j].network));
    let mut units = vec![vec![0u32; p.demand.len()]; p.cands.len()];
    if let Some(&j) = by_distance.iter().find(|&&j| p.covers(&[j])) {
        units[j].clone_from(&p.target);
        return (units, true);
    }
    let mut left = p.target.clone();
    for &k in &p.line_sku {
        for &j in &by_distance {
            let take = left[k].min(p.cands[j].atp[k] - units[j][k]);
            units[j][k] += take;
            left[k] -= take;
        }
    }
    (units, false)
}
