//! Tests of the CSR builders and products against dense references, and of the kernels'
//! independence from the thread count.

use super::*;

/// Small deterministic pseudo-random generator for tests.
fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 11) as f64) / ((1u64 << 53) as f64)
}

fn random_triplets(n: usize, m: usize, seed: u64) -> Vec<(usize, usize, f64)> {
    let mut s = seed;
    (0..m)
        .map(|_| {
            let r = (lcg(&mut s) * n as f64) as usize % n;
            let c = (lcg(&mut s) * n as f64) as usize % n;
            (r, c, lcg(&mut s) - 0.5)
        })
        .collect()
}

fn dense_of(n: usize, triplets: &[(usize, usize, f64)]) -> Vec<Vec<f64>> {
    let mut d = vec![vec![0.0; n]; n];
    for &(r, c, v) in triplets {
        d[r][c] += v;
    }
    d
}

#[test]
fn matvec_matches_dense_product() {
    for &(n, m) in &[(1usize, 3usize), (7, 20), (50, 400), (3000, 60000)] {
        let t = random_triplets(n, m, 42 + n as u64);
        let a = CsrMatrix::from_triplets(n, &t).expect("valid triplets");
        let d = dense_of(n, &t);
        let mut s = 7u64;
        let x: Vec<f64> = (0..n).map(|_| lcg(&mut s)).collect();
        let mut y = vec![0.0; n];
        a.matvec(&x, &mut y);
        for i in 0..n {
            let expect: f64 = (0..n).map(|j| d[i][j] * x[j]).sum();
            assert!(
                (y[i] - expect).abs() <= 1e-12 * (1.0 + expect.abs()),
                "row {i}"
            );
        }
        let mut r = vec![0.0; n];
        a.residual(&x, &x, &mut r);
        for i in 0..n {
            assert!((r[i] - (x[i] - y[i])).abs() <= 1e-12 * (1.0 + y[i].abs()));
        }
    }
}

#[test]
fn builder_sorts_sums_duplicates_and_inserts_diagonal() {
    let t = [
        (1, 2, 1.0),
        (0, 1, 2.0),
        (1, 0, 3.0),
        (1, 2, 0.5),
        (2, 2, 4.0),
        (0, 1, -1.0),
    ];
    let a = CsrMatrix::from_triplets(3, &t).expect("valid triplets");
    assert_eq!(a.row_ptr, vec![0, 2, 5, 6]);
    assert_eq!(a.col_idx, vec![0, 1, 0, 1, 2, 2]);
    assert_eq!(a.values, vec![0.0, 1.0, 3.0, 0.0, 1.5, 4.0]);
    assert_eq!(a.diag_index, vec![0, 3, 5]);
    assert_eq!(a.diagonal(), vec![0.0, 0.0, 4.0]);
    let b = CsrMatrix::from_csr(3, a.row_ptr.clone(), a.col_idx.clone(), a.values.clone());
    assert_eq!(b.as_ref(), Ok(&a));
}

#[test]
fn builder_rejects_bad_input() {
    assert!(matches!(
        CsrMatrix::from_triplets(2, &[(0, 2, 1.0)]),
        Err(SparseError::IndexOutOfRange { entry: 0, .. })
    ));
    assert!(matches!(
        CsrMatrix::from_triplets(2, &[(0, 0, 1.0), (1, 1, f64::NAN)]),
        Err(SparseError::NonFinite { entry: 1, .. })
    ));
    assert!(CsrMatrix::from_csr(2, vec![0, 1, 2], vec![0, 0], vec![1.0, 1.0]).is_err());
    assert!(CsrMatrix::from_csr(2, vec![0, 2, 3], vec![1, 0, 1], vec![1.0; 3]).is_err());
    let empty = CsrMatrix::from_triplets(0, &[]).expect("empty matrix is valid");
    assert_eq!(empty.nnz(), 0);
}

#[test]
fn fused_product_and_dot_match_the_separate_kernels_bit_for_bit() {
    for n in [1000, 50_003] {
        let a = CsrMatrix::from_triplets(n, &random_triplets(n, 6 * n, 17)).expect("valid");
        let mut s = 5u64;
        let x: Vec<f64> = (0..n).map(|_| lcg(&mut s) - 0.5).collect();
        let (mut y1, mut y2) = (vec![0.0; n], vec![0.0; n]);
        a.matvec(&x, &mut y1);
        let separate = dot(&x, &y1);
        let fused = a.matvec_dot(&x, &mut y2);
        assert_eq!(separate.to_bits(), fused.to_bits(), "n = {n}");
        assert!(y1.iter().zip(&y2).all(|(u, v)| u.to_bits() == v.to_bits()));
    }
}

#[test]
fn reductions_do_not_depend_on_thread_count() {
    let mut s = 3u64;
    let a: Vec<f64> = (0..100_003).map(|_| lcg(&mut s) - 0.5).collect();
    let b: Vec<f64> = (0..100_003).map(|_| lcg(&mut s) - 0.5).collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map(|pool| pool.install(|| (dot(&a, &b).to_bits(), norm2(&a).to_bits())))
    };
    let one = run(1).expect("thread pool");
    let three = run(3).expect("thread pool");
    assert_eq!(one, three);
    let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    assert!((f64::from_bits(one.0) - naive).abs() < 1e-10);
}

/// The counting-sort transpose against a direct one, on a random pattern large enough for
/// several tasks, with a filter, for 1 and 5 threads.
#[test]
fn transpose_pattern_matches_direct_transpose() {
    let (nrows, ncols) = (70_001, 9_001);
    let mut s = 11u64;
    let mut row_ptr = vec![0usize];
    let mut col_idx = Vec::new();
    for _ in 0..nrows {
        let mut row: Vec<u32> = (0..(lcg(&mut s) * 6.0) as usize)
            .map(|_| (lcg(&mut s) * ncols as f64) as u32)
            .collect();
        row.sort_unstable();
        row.dedup();
        col_idx.extend(row);
        row_ptr.push(col_idx.len());
    }
    let keep = |i: usize, c: u32| !(i + c as usize).is_multiple_of(3);
    let mut direct: Vec<Vec<u32>> = vec![Vec::new(); ncols];
    for i in 0..nrows {
        for &c in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
            if keep(i, c) {
                direct[c as usize].push(i as u32);
            }
        }
    }
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map(|pool| pool.install(|| transpose_pattern(&row_ptr, &col_idx, ncols, keep)))
            .expect("thread pool")
    };
    let (t_ptr, t_rows) = run(5);
    assert_eq!(t_ptr.len(), ncols + 1);
    for (c, rows) in direct.iter().enumerate() {
        assert_eq!(
            &t_rows[t_ptr[c]..t_ptr[c + 1]],
            rows.as_slice(),
            "column {c}"
        );
    }
    assert_eq!(t_ptr[ncols], t_rows.len());
    assert_eq!(run(1), (t_ptr, t_rows));
}
