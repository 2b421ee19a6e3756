/**
 * The peer: the same users' following pages through Crawlee's CheerioCrawler, configured as its guides
 * show (a requestHandler reading the page with `$`, next pages added to the request queue, results
 * through `pushData` into the default dataset, concurrency left to its autoscaled pool up to
 * `maxConcurrency`). Run as its own process by bench/peer.ts, which reads its CPU from /proc.
 * Run: node bench/peer/crawlee-run.ts SIM_URL USERS_CSV MAX_CONCURRENCY MAX_FRIENDS
 * (CRAWLEE_STORAGE_DIR says where its storage goes.)
 */
import { readFileSync } from 'node:fs';
import { CheerioCrawler, log, LogLevel } from '@crawlee/cheerio';

const [simUrl, usersCsv, maxConcurrency, maxFriends] = process.argv.slice(2) as [string, string, string, string];
log.setLevel(LogLevel.WARNING);

interface UserData {
  userId: string;
  collected: number;
}

const users = readFileSync(usersCsv, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
  .map(([userId, screenName]) => ({ userId: userId!, screenName: screenName! }));

const cap = Number(maxFriends);
const crawler = new CheerioCrawler({
  maxConcurrency: Number(maxConcurrency),
  maxRequestRetries: 5,
  async requestHandler({ $, request, pushData, addRequests }) {
    const data = request.userData as UserData;
    const names = $('td.info.fifty.screenname > a[name]')
      .map((_, el) => $(el).attr('name'))
      .get()
      .slice(0, cap - data.collected);
    await pushData({ user_id: data.userId, friend_names: names });
    const href = $('div.w-button-more a').attr('href');
    const collected = data.collected + names.length;
    if (href && collected < cap) {
      // forefront: a user's next page is read before new users start, as friendfleet does.
      await addRequests([{ url: new URL(href, simUrl).href, userData: { userId: data.userId, collected } }], { forefront: true });
    }
  },
});

const stats = await crawler.run(users.map((u) => ({ url: `${simUrl}/${u.screenName}/following`, userData: { userId: u.userId, collected: 0 } })));
process.stdout.write(`${JSON.stringify({ requestsFinished: stats.requestsFinished, requestsFailed: stats.requestsFailed })}\n`);
