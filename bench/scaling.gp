# Draws bench/scaling.png from bench/scaling.dat (bench/run --scaling).
# Columns: pods nodes sync_s list_s peak_rss_mib steady_rss_mib scrape_s payload_mib
# Usage: gnuplot -e "dat='scaling.dat'; out='scaling.png'" scaling.gp
set terminal pngcairo size 1500,480 font ",10" noenhanced
set output out
set multiplot layout 1,3 title "ksmc cost vs cluster size (30 pods/node; KSM's published numbers as points)"
set logscale xy
set grid
set key bottom right
set xrange [800:300000]
set xlabel "pods"
set format x "%.0s%c"

# KSM published points (docs: /work/shared/reference/ksm-architecture-and-users.md, section 3)
# columns: pods value label_x label_y label
$ksm_scrape << EOD
1000 0.15 1100 0.08 "#9 ~1000 pods: 100-200 ms"
3000 0.2596 3300 0.45 "#4 README, 100 nodes: p50 260 ms"
10000 7 11000 3.5 "#5 SoundCloud 10k pods: 7 s"
EOD
$ksm_mem << EOD
2000 385 1100 600 "#7 2000 pods: 385 MiB"
3000 400 3300 250 "#2 v1 rule: 200 MiB + 2 MiB/node"
30000 2200 12000 3500 "#2 v1 rule, 1000 nodes"
10000 748 11000 1100 "#5 10k pods: peak 0.73 GiB"
EOD

set title "initial sync (start to /readyz)"
set ylabel "seconds"
plot dat using 1:3 with linespoints lw 2 pt 7 title "ksmc sync", \
     dat using 1:4 with linespoints lw 1 pt 6 dt 2 title "HTTP client, same LIST pages"

set title "memory"
set ylabel "MiB"
plot dat using 1:5 with linespoints lw 2 pt 7 title "ksmc peak RSS", \
     dat using 1:6 with linespoints lw 2 pt 5 title "ksmc steady RSS", \
     dat using 1:8 with linespoints lw 1 pt 6 dt 2 title "/metrics payload", \
     $ksm_mem using 1:2 with points pt 9 ps 2 lc rgb "red" title "KSM published", \
     $ksm_mem using 3:4:5 with labels left font ",7" notitle

set title "full /metrics scrape (plain, 1 scraper)"
set ylabel "seconds"
plot dat using 1:7 with linespoints lw 2 pt 7 title "ksmc", \
     $ksm_scrape using 1:2 with points pt 9 ps 2 lc rgb "red" title "KSM published", \
     $ksm_scrape using 3:4:5 with labels left font ",7" notitle
unset multiplot
